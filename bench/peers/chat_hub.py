"""The chat benchmark's peer: the seed's hub protocol served by python-websockets on uvloop.

Same wire format as wippy's relay + the seed's ws_hub_process.lua, seen from the browser: on
connect a {"topic": "welcome", "data": {"message", "client_count"}} frame; a text frame
{"type": "chat", "message": m} is broadcast to every client as
{"topic": "chat", "data": {"from": "Anonymous", "message": m, "timestamp": <seconds>}}.
Usage: python3 chat_hub.py PORT   (listens on 127.0.0.1, path /api/v1/ws/connect)
"""
import asyncio
import json
import sys
import time

import uvloop
from websockets.asyncio.server import broadcast, serve

clients = set()
COMPACT = (",", ":")  # the relay's frames are compact JSON too


async def handler(websocket):
    if websocket.request.path != "/api/v1/ws/connect":
        return
    clients.add(websocket)
    try:
        await websocket.send(json.dumps(separators=COMPACT, obj={"topic": "welcome", "data": {
            "message": "Connected successfully", "client_count": len(clients)}}))
        async for text in websocket:
            try:
                data = json.loads(text)
            except ValueError:
                continue
            if data.get("type") == "chat" and data.get("message"):
                broadcast(clients, json.dumps(separators=COMPACT, obj={"topic": "chat", "data": {
                    "from": "Anonymous", "message": data["message"], "timestamp": int(time.time())}}))
    finally:
        clients.discard(websocket)


async def main(port):
    async with serve(handler, "127.0.0.1", port, max_queue=None, ping_interval=30):
        print("listening on 127.0.0.1:%d" % port, file=sys.stderr, flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1])))
