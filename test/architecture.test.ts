// The layering rules of docs/ARCHITECTURE.md ("PEFT methods", "Adding a method") that code review alone
// would let slip: the native model hosts methods only through its hooks, and outside a method's own module
// no TypeScript branches on a method's name.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRAIN_METHODS, methodSpec } from '../src/peft/methods.js';
import { trainCommand } from '../src/cli/train.js';

const root = path.resolve(import.meta.dirname, '..');

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => pattern.test(f))
    .map((f) => path.join(dir, f));
}

describe('architecture', () => {
  it('native/ holds only the addon: every .cc there is compiled into it, so no program (main) lives there', () => {
    const programs = filesUnder('native', /\.cc$/).filter((f) => /^\s*int\s+main\s*\(/m.test(readFileSync(path.join(root, f), 'utf8')));
    expect(programs).toEqual([]);
  });

  it('native/models includes nothing from native/peft', () => {
    const offenders = filesUnder('native/models', /\.(h|cc)$/).filter((f) => /#include\s+"peft\//.test(readFileSync(path.join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('no TypeScript outside a method record compares with or switches on a method name', () => {
    // A method's own module, and study content that names the methods the study compares (not method logic).
    const allowed = new Set(['src/peft/lora.ts', 'src/peft/ia3.ts', 'src/peft/bitfit.ts', 'src/peft/bottleneck.ts', 'src/peft/prompt.ts', 'src/peft/prefix.ts', 'src/peft/full.ts', 'src/sweep/presets.ts', 'src/report/findings.ts']);
    const names = TRAIN_METHODS.join('|');
    const branch = new RegExp(`(case\\s+'(${names})'|[!=]==\\s*'(${names})'|'(${names})'\\s*[!=]==|\\[\\s*'(${names})'\\s*,\\s*'(${names})')`);
    const offenders = filesUnder('src', /\.ts$/)
      .filter((f) => !allowed.has(f.split(path.sep).join('/')))
      .flatMap((f) =>
        readFileSync(path.join(root, f), 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${f}:${i + 1}` }))
          .filter(({ line }) => branch.test(line))
          .map(({ at, line }) => `${at}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it("train's CLI offers every record's flags, each once, and no method flag of its own", () => {
    const offered = trainCommand().options.map((o) => o.long);
    expect(new Set(offered).size).toBe(offered.length);
    for (const m of TRAIN_METHODS) {
      for (const f of methodSpec(m).cli) expect(offered).toContain(`--${f.flag ?? f.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    }
    // The method flags are added from the records: src/cli/train.ts names none of them.
    const cli = readFileSync(path.join(root, 'src/cli/train.ts'), 'utf8');
    for (const flag of ['--rank', '--adapter-size', '--virtual-tokens', '--prefix-hidden', '--bitfit-init', '--feedforward-modules']) expect(cli).not.toContain(`'${flag}`);
  });

  it('every record is registered under its own name and owns only its flags', () => {
    for (const m of TRAIN_METHODS) {
      const spec = methodSpec(m);
      expect(spec.name).toBe(m);
      expect(spec.resolve({}, undefined, {}).method).toBe(m);
      // A flag is an option key (camelCase); its CLI name is the dashed key unless the record names it.
      for (const f of spec.cli) {
        expect(f.key).toMatch(/^[a-z][A-Za-z]*$/);
        if (f.flag !== undefined) expect(f.flag).toMatch(/^[a-z][a-z-]*$/);
      }
      // A record without an adapter folder must be one whose result is a checkpoint.
      if (!spec.save) expect(spec.capabilities.trainsBase).toBe(true);
    }
  });
});
