// Regenerates assets/builtin/tokenizer.json and tokenizer_config.json (the shipped built-in tokenizer)
// from the built-in tasks. Deterministic: running it twice gives identical files.
// Usage: npx tsc -p tsconfig.json && node scripts/make-builtin-tokenizer.mjs [--check]
//   --check  compare with the committed files instead of writing; exit 1 when they differ.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compiled = path.join(root, 'dist/builtin/make-tokenizer.js');
if (!existsSync(compiled)) {
  console.error(`${compiled} is missing: run \`npx tsc -p tsconfig.json\` first.`);
  process.exit(1);
}
const { buildBuiltinTokenizerFiles, BUILTIN_VOCAB_SIZE } = await import(compiled);

const outDir = path.join(root, 'assets/builtin');
const { tokenizerJson, tokenizerConfigJson } = await buildBuiltinTokenizerFiles();
const files = { 'tokenizer.json': tokenizerJson, 'tokenizer_config.json': tokenizerConfigJson };

if (process.argv.includes('--check')) {
  const stale = Object.entries(files).filter(([name, text]) => {
    const file = path.join(outDir, name);
    return !existsSync(file) || readFileSync(file, 'utf8') !== text;
  });
  for (const [name] of stale) console.error(`${path.join(outDir, name)} differs from a fresh build`);
  process.exit(stale.length ? 1 : 0);
}

mkdirSync(outDir, { recursive: true });
for (const [name, text] of Object.entries(files)) writeFileSync(path.join(outDir, name), text);
const vocabSize = Object.keys(JSON.parse(tokenizerJson).model.vocab).length;
console.log(`wrote ${outDir}/tokenizer.json (vocab ${vocabSize} of at most ${BUILTIN_VOCAB_SIZE}) and tokenizer_config.json`);
