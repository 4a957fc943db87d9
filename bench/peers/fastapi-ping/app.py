"""The delayed-ping service of the experiment bench/ping reproduces: FastAPI on
uvicorn, one worker, GET /ping/ answering {"ping":"pong"} after asyncio.sleep(0.2).

    bench/.venv/bin/python -m uvicorn app:app --app-dir bench/peers/fastapi-ping --workers 1
"""
import asyncio

from fastapi import FastAPI

app = FastAPI()


@app.get("/ping/")
async def ping():
    await asyncio.sleep(0.2)
    return {"ping": "pong"}
