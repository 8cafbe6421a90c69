"""Oracle for test/metrics-porter.test.ts: NLTK's PorterStemmer() (default mode, NLTK_EXTENSIONS).

stdin: one JSON string per line (a word; JSON so that any character, newlines included, survives).
stdout: one JSON string per line, PorterStemmer().stem(word), in the same order.
Run: .venv/bin/python scripts/oracles/porter_stem.py < words.jsonl
"""
import json
import sys

from nltk.stem.porter import PorterStemmer


def main():
    stemmer = PorterStemmer()
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="surrogatepass", newline="\n", closefd=False)
    out = []
    for line in stdin:
        if line.endswith("\n"):
            line = line[:-1]
        if line:
            out.append(json.dumps(stemmer.stem(json.loads(line))))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


if __name__ == "__main__":
    main()
