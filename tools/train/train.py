#!/usr/bin/env python3
"""Trains the embedded default model: a small BitNet b1.58 (ternary weights, int8 activations,
straight-through estimator) and a full-precision twin of the same shape on the same data and steps.

Runs on the GPU machine (torch, tokenizers, transformers there). Reproducible: fixed seed,
deterministic data order. Writes to --out:
  config.json, model.safetensors      the ternary model in Hugging Face's BitNet layout (packed)
  tokenizer.json, tokenizer_config.json
  expected.json                       transformers' logits and greedy tokens for a few prompts
  train_log.json                      losses, validation perplexities of both twins, timings

  python3 tools/train/train.py --data .train/data --out OUT [--steps 2500] [--seed 1234]
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]
BOS, EOS = 0, 1

SHAPE = dict(vocab=4096, hidden=384, intermediate=1024, layers=6, heads=6, kv_heads=2, max_positions=512, rope_theta=10000.0, eps=1e-5)


def train_tokenizer(train_path, vocab):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train([train_path], trainer)
    tok.post_processor = processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", BOS)])
    return tok


def encode_lines(tok, path):
    lines = [l for l in open(path, encoding="utf-8").read().split("\n") if l]
    ids = []
    for enc in tok.encode_batch(lines):
        ids.extend(enc.ids)
        ids.append(EOS)
    return torch.tensor(ids, dtype=torch.int32)


# ---- the model: the architecture of transformers' BitNetForCausalLM --------------------------

def act_quant(x):
    """Per-token absmax int8, straight-through: forward quantized, backward identity."""
    xf = x.float()
    s = 127.0 / xf.abs().amax(dim=-1, keepdim=True).clamp(min=1e-5)
    q = (xf * s).round().clamp(-128, 127) / s
    return x + (q.to(x.dtype) - x).detach()


def weight_quant(w):
    """Per-tensor absmean ternary, straight-through; the latent weight stays in float32."""
    s = 1.0 / w.abs().mean().clamp(min=1e-5)
    q = (w * s).round().clamp(-1, 1) / s
    return w + (q - w).detach()


class Linear(nn.Linear):
    def __init__(self, fan_in, fan_out, ternary):
        super().__init__(fan_in, fan_out, bias=False)
        self.ternary = ternary
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        if self.ternary:
            return F.linear(act_quant(x), weight_quant(self.weight).to(x.dtype))
        return F.linear(x, self.weight.to(x.dtype))


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        xf = x.float()
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (self.weight * xf).to(x.dtype)


def rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class Block(nn.Module):
    def __init__(self, s, ternary):
        super().__init__()
        h, d = s["hidden"], s["hidden"] // s["heads"]
        self.heads, self.kv_heads, self.head_dim = s["heads"], s["kv_heads"], d
        self.input_layernorm = RMSNorm(h, s["eps"])
        self.q_proj = Linear(h, s["heads"] * d, ternary)
        self.k_proj = Linear(h, s["kv_heads"] * d, ternary)
        self.v_proj = Linear(h, s["kv_heads"] * d, ternary)
        self.attn_sub_norm = RMSNorm(s["heads"] * d, s["eps"])
        self.o_proj = Linear(s["heads"] * d, h, ternary)
        self.post_attention_layernorm = RMSNorm(h, s["eps"])
        self.gate_proj = Linear(h, s["intermediate"], ternary)
        self.up_proj = Linear(h, s["intermediate"], ternary)
        self.ffn_sub_norm = RMSNorm(s["intermediate"], s["eps"])
        self.down_proj = Linear(s["intermediate"], h, ternary)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(h).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(h).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
        a = a.transpose(1, 2).reshape(B, T, -1)
        x = x + self.o_proj(self.attn_sub_norm(a))
        h = self.post_attention_layernorm(x)
        m = F.relu(self.gate_proj(h)).square() * self.up_proj(h)
        return x + self.down_proj(self.ffn_sub_norm(m))


class BitNetLM(nn.Module):
    def __init__(self, s, ternary):
        super().__init__()
        self.s = s
        self.embed = nn.Embedding(s["vocab"], s["hidden"])
        nn.init.normal_(self.embed.weight, std=0.02)
        self.layers = nn.ModuleList([Block(s, ternary) for _ in range(s["layers"])])
        self.norm = RMSNorm(s["hidden"], s["eps"])
        d = s["hidden"] // s["heads"]
        inv = 1.0 / (s["rope_theta"] ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
        ang = torch.outer(torch.arange(s["max_positions"]).float(), inv)
        emb = torch.cat((ang, ang), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.embed(ids)
        cos, sin = self.cos[:T].to(x.dtype), self.sin[:T].to(x.dtype)
        for layer in self.layers:
            x = layer(x, cos, sin)
        return F.linear(self.norm(x), self.embed.weight.to(x.dtype))  # tied lm_head


# ---- training --------------------------------------------------------------------------------

def batches(data, batch, seq, gen):
    while True:
        starts = torch.randint(0, len(data) - seq - 1, (batch,), generator=gen)
        chunk = torch.stack([data[i:i + seq + 1] for i in starts.tolist()]).long()
        yield chunk[:, :-1], chunk[:, 1:]


@torch.no_grad()
def perplexity(model, data, seq, device, max_windows=None):
    """Validation perplexity in float32 over consecutive windows of the held-out text."""
    model.eval()
    n = (len(data) - 1) // seq
    if max_windows:
        n = min(n, max_windows)
    total, count = 0.0, 0
    for i in range(0, n, 32):
        rows = [data[j * seq:(j + 1) * seq + 1] for j in range(i, min(n, i + 32))]
        chunk = torch.stack(rows).long().to(device)
        logits = model(chunk[:, :-1]).float()
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), chunk[:, 1:].reshape(-1), reduction="sum").item()
        count += chunk[:, 1:].numel()
    model.train()
    return math.exp(total / count)


def train(name, ternary, train_data, valid_data, args, device):
    torch.manual_seed(args.seed)
    model = BitNetLM(SHAPE, ternary).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed" not in n)]
    lr = args.lr_ternary if ternary else args.lr_dense
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
    warmup = args.steps // 20

    def schedule(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / (args.steps - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    gen = torch.Generator().manual_seed(args.seed)
    it = batches(train_data, args.batch, args.seq, gen)
    log, best, best_state = [], float("inf"), None
    t0 = time.time()
    for step in range(args.steps):
        x, y = next(it)
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(x)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            ppl = perplexity(model, valid_data, args.seq, device, max_windows=256)
            log.append({"step": step + 1, "train_loss": round(loss.item(), 4), "valid_ppl": round(ppl, 3), "seconds": round(time.time() - t0, 1)})
            print(f"{name} step {step + 1}: loss {loss.item():.4f} valid ppl {ppl:.2f} ({time.time() - t0:.0f} s)", flush=True)
            if ppl < best:
                best, best_state = ppl, {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    final = perplexity(model, valid_data, args.seq, device)
    return model, {"name": name, "lr": lr, "log": log, "valid_ppl": round(final, 3), "train_seconds": round(time.time() - t0, 1)}


# ---- export in Hugging Face's BitNet layout --------------------------------------------------

def pack_ternary(w):
    """[out, in] in {-1, 0, 1} -> uint8 [ceil(out/4), in]; row i*q + j at bits 2i of packed[j] as w + 1."""
    out, fan_in = w.shape
    q = (out + 3) // 4
    codes = torch.ones(4 * q, fan_in, dtype=torch.uint8)
    codes[:out] = (w + 1).to(torch.uint8)
    packed = torch.zeros(q, fan_in, dtype=torch.uint8)
    for i in range(4):
        packed |= codes[i * q:(i + 1) * q] << (2 * i)
    return packed


def export(model, tok, out):
    s = SHAPE
    tensors = {"model.embed_tokens.weight": model.embed.weight.detach().to(torch.bfloat16).cpu(),
               "model.norm.weight": model.norm.weight.detach().to(torch.bfloat16).cpu()}
    for i, layer in enumerate(model.layers):
        p = f"model.layers.{i}"
        for norm in ["input_layernorm", "post_attention_layernorm"]:
            tensors[f"{p}.{norm}.weight"] = getattr(layer, norm).weight.detach().to(torch.bfloat16).cpu()
        tensors[f"{p}.self_attn.attn_sub_norm.weight"] = layer.attn_sub_norm.weight.detach().to(torch.bfloat16).cpu()
        tensors[f"{p}.mlp.ffn_sub_norm.weight"] = layer.ffn_sub_norm.weight.detach().to(torch.bfloat16).cpu()
        for proj, prefix in [("q_proj", "self_attn"), ("k_proj", "self_attn"), ("v_proj", "self_attn"), ("o_proj", "self_attn"),
                             ("gate_proj", "mlp"), ("up_proj", "mlp"), ("down_proj", "mlp")]:
            w = getattr(layer, proj).weight.detach().float().cpu()
            scale = 1.0 / w.abs().mean().clamp(min=1e-5)
            tensors[f"{p}.{prefix}.{proj}.weight"] = pack_ternary((w * scale).round().clamp(-1, 1).to(torch.int8))
            # transformers' "bitlinear" divides by the stored scale: y = acc / (s_x * scale)
            tensors[f"{p}.{prefix}.{proj}.weight_scale"] = scale.reshape(1).to(torch.float32)
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    config = {
        "architectures": ["BitNetForCausalLM"], "model_type": "bitnet", "hidden_act": "relu2",
        "vocab_size": s["vocab"], "hidden_size": s["hidden"], "intermediate_size": s["intermediate"],
        "num_hidden_layers": s["layers"], "num_attention_heads": s["heads"], "num_key_value_heads": s["kv_heads"],
        "max_position_embeddings": s["max_positions"], "rms_norm_eps": s["eps"],
        "rope_parameters": {"rope_type": "default", "rope_theta": s["rope_theta"]},
        "tie_word_embeddings": True, "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": None,
        "attention_bias": False, "torch_dtype": "bfloat16",
        "quantization_config": {"quant_method": "bitnet", "linear_class": "bitlinear", "quantization_mode": "offline"},
    }
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=2)
    tok.save(os.path.join(out, "tokenizer.json"))
    json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": SPECIALS[BOS], "eos_token": SPECIALS[EOS],
               "add_bos_token": True, "model_max_length": s["max_positions"], "clean_up_tokenization_spaces": False},
              open(os.path.join(out, "tokenizer_config.json"), "w"), indent=2)


@torch.no_grad()
def transformers_oracle(out, tok, valid_data, seq, device):
    """Loads the export with transformers' BitNetForCausalLM (float32, TF32 off) and records
    what our runtime must reproduce, in the schema of test/fixtures (see its README)."""
    from transformers import BitNetForCausalLM
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    hf = BitNetForCausalLM.from_pretrained(out, dtype=torch.float32).to(device).eval()
    prompts = ["The jury said that", "It was a cold morning and", "In the city of", "She looked at the"]
    cases = []
    for text in prompts:
        ids = tok.encode(text).ids
        x = torch.tensor([ids], device=device)
        outp = hf(x, use_cache=True)
        logits = outp.logits[0].float()
        top5 = logits.topk(5, dim=-1)
        past, last = outp.past_key_values, logits[-1]
        new_ids, margins = [], []
        for _ in range(24):
            t2 = last.topk(2)
            nxt = int(t2.indices[0])
            new_ids.append(nxt)
            margins.append(float(t2.values[0] - t2.values[1]))
            o = hf(torch.tensor([[nxt]], device=device), past_key_values=past, use_cache=True)
            past, last = o.past_key_values, o.logits[0, -1].float()
        cases.append({"prompt": text, "input_ids": ids, "last_logits": [round(v, 5) for v in logits[-1].tolist()],
                      "top5_ids": top5.indices.tolist(), "top5_logits": [[round(v, 5) for v in r] for r in top5.values.tolist()],
                      "greedy_new_ids": new_ids, "greedy_text": tok.decode(new_ids), "greedy_top2_margin": [round(m, 5) for m in margins]})
    # perplexity of the exported model as transformers runs it (bf16 embeddings/norms, packed weights)
    total, count = 0.0, 0
    n = (len(valid_data) - 1) // seq
    for i in range(0, n, 32):
        rows = [valid_data[j * seq:(j + 1) * seq + 1] for j in range(i, min(n, i + 32))]
        chunk = torch.stack(rows).long().to(device)
        lg = hf(chunk[:, :-1]).logits.float()
        total += F.cross_entropy(lg.reshape(-1, lg.shape[-1]), chunk[:, 1:].reshape(-1), reduction="sum").item()
        count += chunk[:, 1:].numel()
    import transformers
    json.dump({"transformers": transformers.__version__, "torch": torch.__version__, "dtype": "float32", "cases": cases},
              open(os.path.join(out, "expected.json"), "w"))
    return math.exp(total / count)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=2500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--lr-ternary", type=float, default=2e-3)
    ap.add_argument("--lr-dense", type=float, default=1e-3)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    device = "cuda"
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    tok = train_tokenizer(os.path.join(args.data, "train.txt"), SHAPE["vocab"])
    train_data = encode_lines(tok, os.path.join(args.data, "train.txt"))
    valid_data = encode_lines(tok, os.path.join(args.data, "valid.txt"))
    print(f"tokenizer: {tok.get_vocab_size()} tokens; train {len(train_data)} tokens, valid {len(valid_data)} ({time.time() - t0:.0f} s)", flush=True)
    ternary, tlog = train("ternary", True, train_data, valid_data, args, device)
    _, dlog = train("bf16-twin", False, train_data, valid_data, args, device)
    export(ternary, tok, args.out)
    hf_ppl = transformers_oracle(args.out, tok, valid_data, args.seq, device)
    n_ternary = sum(p.numel() for n, p in ternary.named_parameters() if p.dim() == 2 and "embed" not in n)
    summary = {"shape": SHAPE, "args": vars(args), "tokens": {"train": len(train_data), "valid": len(valid_data)},
               "ternary_params": n_ternary, "embedding_params": SHAPE["vocab"] * SHAPE["hidden"],
               "ternary": tlog, "bf16_twin": dlog, "transformers_valid_ppl_of_export": round(hf_ppl, 3),
               "gpu": torch.cuda.get_device_name(), "total_seconds": round(time.time() - t0, 1)}
    json.dump(summary, open(os.path.join(args.out, "train_log.json"), "w"), indent=2)
    print(json.dumps({k: summary[k] for k in ["tokens", "ternary_params", "transformers_valid_ppl_of_export", "total_seconds"]}))
    print(f"valid ppl: ternary {tlog['valid_ppl']}, bf16 twin {dlog['valid_ppl']}")


if __name__ == "__main__":
    main()
