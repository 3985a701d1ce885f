"""Coroutines without a server: what async def, await and asyncio.run do."""

import asyncio


async def brew(tea, seconds):
    print(f"{tea}: steeping")
    await asyncio.sleep(seconds)
    print(f"{tea}: ready")
    return tea


async def main():
    pot = brew("oolong", 0.2)
    print(f"brew() gave back a {type(pot).__name__}; nothing has run yet")
    print(f"await gave back {await pot!r}")
    both = await asyncio.gather(brew("green", 0.2), brew("black", 0.1))
    print(f"gather gave back {both}")


if __name__ == "__main__":
    asyncio.run(main())
