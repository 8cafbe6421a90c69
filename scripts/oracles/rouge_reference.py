"""Oracle for test/metrics-rouge.test.ts: the official SuperNI metrics, rebuilt in Python from their sources.

- Tokenizer: rouge_score's tokenize.tokenize with use_stemmer=True (text.lower(), re.sub("[^a-z0-9]+", " "),
  re.split(r"\\s+"), NLTK PorterStemmer().stem on tokens longer than 3 characters, keep ^[a-z0-9]+$).
- ROUGE-L: rouge_scorer._score_lcs with a full LCS table (0 when either side has no tokens).
- ROUGE-1: rouge_scorer._score_ngrams on unigram Counters (divisors max(count, 1)).
- F-measure: scoring.fmeasure (2PR/(P+R), 0 when P + R == 0).
- Exact match: natural-instructions eval/automatic/evaluation.py normalize_answer (lower, drop
  string.punctuation, ' '.join(split())).
rouge_score itself is not installable here; this follows its published source.

stdin: one JSON object per line: {"prediction": str, "references": [str, ...]}.
stdout: one JSON object per line: {"predictionTokens", "referenceTokens": [[...]], "rougeL": [...],
        "rouge1": [...], "exactMatch": [...]} with one entry per reference, in order.
"""
import collections
import json
import re
import string
import sys

from nltk.stem import porter

STEMMER = porter.PorterStemmer()
PUNCTUATION = set(string.punctuation)


def tokenize(text):
    text = text.lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    tokens = re.split(r"\s+", text)
    tokens = [STEMMER.stem(x) if len(x) > 3 else x for x in tokens]
    return [x for x in tokens if re.match(r"^[a-z0-9]+$", x)]


def fmeasure(precision, recall):
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def lcs_length(ref, can):
    table = [[0] * (len(can) + 1) for _ in range(len(ref) + 1)]
    for i in range(1, len(ref) + 1):
        for j in range(1, len(can) + 1):
            if ref[i - 1] == can[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table[-1][-1]


def rouge_l(target, prediction):
    if not target or not prediction:
        return 0.0
    lcs = lcs_length(target, prediction)
    return fmeasure(lcs / len(prediction), lcs / len(target))


def rouge_1(target, prediction):
    target_counts = collections.Counter(target)
    prediction_counts = collections.Counter(prediction)
    overlap = sum(min(count, prediction_counts[token]) for token, count in target_counts.items())
    precision = overlap / max(sum(prediction_counts.values()), 1)
    recall = overlap / max(sum(target_counts.values()), 1)
    return fmeasure(precision, recall)


def normalize_answer(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in PUNCTUATION)
    return " ".join(s.split())


def main():
    stdin = open(sys.stdin.fileno(), encoding="utf-8", newline="\n", closefd=False)
    out = []
    for line in stdin:
        line = line.rstrip("\n")
        if not line:
            continue
        case = json.loads(line)
        prediction = case["prediction"]
        prediction_tokens = tokenize(prediction)
        reference_tokens = [tokenize(r) for r in case["references"]]
        out.append(json.dumps({
            "predictionTokens": prediction_tokens,
            "referenceTokens": reference_tokens,
            "rougeL": [rouge_l(t, prediction_tokens) for t in reference_tokens],
            "rouge1": [rouge_1(t, prediction_tokens) for t in reference_tokens],
            "exactMatch": [1 if normalize_answer(prediction) == normalize_answer(r) else 0 for r in case["references"]],
        }))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


if __name__ == "__main__":
    main()
