#!/usr/bin/env python3
"""Trims ../shared/testdata/engine into engine/testdata/reference.json.

Logits are stored as base64 of little-endian float32 rows (one row of
vocab_size values per input position), which is exact and a third of the
size of JSON numbers. Run from engine/testdata:

    python3 trim_reference.py /work/shared/testdata/engine
"""
import base64, json, struct, sys

src = sys.argv[1]
ref = json.load(open(f"{src}/reference.json"))

def pack(rows):
    return base64.b64encode(b"".join(struct.pack(f"<{len(r)}f", *r) for r in rows)).decode()

def prompts(items):
    return [{"text": p.get("text", ""), "input_ids": p["input_ids"],
             "greedy_next_24": p.get("greedy_next_24") or p.get("greedy"),
             "logits": pack(p["logits"])} for p in items]

out = {"made_with": ref["made_with"], "notes": ref["notes"], "models": {}}
for name in ["llama", "llama3", "qwen2", "llama-spm", "gpt2"]:
    m = ref["models"][name]
    entry = {"rope_inv_freq": m.get("rope_inv_freq"), "reference": prompts(m["reference"])}
    if "llamacpp_q8_0" in m:
        entry["llamacpp_q8_0"] = prompts([dict(p, text=m["reference"][i]["text"]) for i, p in enumerate(m["llamacpp_q8_0"])])
    out["models"][name] = entry

kq = json.load(open(f"{src}/models/kquant/reference.json"))
out["kquant"] = {"note": kq["note"], "files": {f: prompts(v) for f, v in kq["files"].items() if f != "model-f32.gguf"}}
json.dump(out, open("reference.json", "w"))
