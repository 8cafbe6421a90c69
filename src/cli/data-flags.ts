// The data flags shared by `train` and `data prepare|inspect`: which data, how it is selected, formatted
// and cached. Values are checked while parsing (commander reports a bad one in one line, exit 2).
import { Command, Option } from 'commander';
import { parseIntegerFlag } from './train.js';
import { INSTRUCTION_KINDS, type InstructionKind } from '../data/superni/instruction.js';

export interface DataFlags {
  data?: string;
  splitDir?: string;
  devTasks?: number;
  trainTasks?: number;
  instancesPerTask?: number;
  posExamples?: number;
  trainCategories?: number;
  instruction?: InstructionKind;
  maxSourceLength?: number;
  maxTargetLength?: number;
  maxLength?: number;
  chatTemplate?: 'tulu' | 'model';
  /** commander's --no-cache sets cache false; --cache-dir names the folder. */
  cache?: boolean;
  cacheDir?: string;
  /** Seed of the SuperNI task split and instance selection (default 42, the study's; independent of --seed). */
  dataSeed?: number;
}

/** Adds the data flags (except --data, which each command words itself). */
export function addDataFlags(cmd: Command): Command {
  return cmd
    .option('--split-dir <dir>', 'SuperNI split folder (train_tasks.txt, optional test_tasks.txt) or a training task list file')
    .option('--dev-tasks <k>', 'SuperNI: carve k dev tasks out of the training tasks, seeded (the study: 50)', parseIntegerFlag(0, 'dev tasks'))
    .option('--train-tasks <n>', 'SuperNI: train on a seeded subset of n of the remaining tasks (task-count study)', parseIntegerFlag(1, 'train tasks'))
    .option('--train-categories <k>', 'SuperNI: draw the training tasks from k task categories only, seeded with --data-seed (task-diversity ablation)', parseIntegerFlag(1, 'train categories'))
    .addOption(new Option('--instruction <kind>', 'SuperNI training prompts: definition (default), definition+examples (= --pos-examples 2) or corrupted (definition words shuffled, seeded); evaluation prompts keep the clean definition').choices([...INSTRUCTION_KINDS]))
    .option('--instances-per-task <n>', 'SuperNI training instances per task (default 100)', parseIntegerFlag(1, 'instances per task'))
    .option('--pos-examples <k>', "SuperNI: positive examples in the prompt (default 0, the study; Tk-Instruct: 2)", parseIntegerFlag(0, 'positive examples'))
    .option('--max-source-length <n>', 'SuperNI prompt tokens kept (default 1024)', parseIntegerFlag(1, 'max source length'))
    .option('--max-target-length <n>', 'SuperNI target tokens kept, EOS included (default 128)', parseIntegerFlag(1, 'max target length'))
    .addOption(new Option('--chat-template <format>', "conversation data (tulu:, sharegpt:): the TÜLU chat format or the model's chat_template (default tulu)").choices(['tulu', 'model']))
    .option('--data-seed <n>', "seed of the SuperNI task split and instance selection (default 42, the study's; the same data whatever --seed)", parseIntegerFlag(0, 'data seed'))
    .option('--cache-dir <dir>', 'tokenized-data cache folder (default .peft-native-cache/ in the working directory)')
    .option('--no-cache', 'tokenize without reading or writing the cache');
}
