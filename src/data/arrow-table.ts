// A tokenized dataset as an Arrow table, and back.
//
// Columns (one row per example): input_ids list<int32>, labels list<int32> (-100 = no loss), task utf8,
// id utf8, split utf8, source_length int32 (null for conversations). Schema metadata "peft_native" holds a JSON object (format version, summary,
// selection, the cache key's inputs) so that a cached file alone can stand in for tokenizing.
// In memory the two list columns are kept as Arrow keeps them: one offsets array (n + 1 entries) and one
// Int32Array of values per column; each example's inputIds / labels are subarray views into those values,
// so batches are assembled by TypedArray.set (memcpy) with no per-token JS work and no extra copy.
import { Field, Int32, List, Table, Type, Utf8, makeData, makeVector, tableFromIPC, tableToIPC, vectorFromArray, type Data } from 'apache-arrow';
import type { TrainingExample } from './types.js';

export const DATASET_METADATA_KEY = 'peft_native';

/** The list columns' buffers: example i is values[offsets[i] .. offsets[i + 1]). */
export interface TokenColumns {
  offsets: Int32Array;
  inputIds: Int32Array;
  labels: Int32Array;
}

export interface ExampleTable {
  columns: TokenColumns;
  examples: TrainingExample[];
  split: string;
}

/** Concatenates the examples' tokens into column buffers and re-points the examples at views of them. */
export function toColumns(examples: readonly TrainingExample[], split: string): ExampleTable {
  const offsets = new Int32Array(examples.length + 1);
  for (const [i, ex] of examples.entries()) {
    if (ex.labels.length !== ex.inputIds.length) throw new Error(`example ${ex.task}/${ex.id}: labels and inputIds differ in length`);
    offsets[i + 1] = offsets[i]! + ex.inputIds.length;
  }
  const total = offsets[examples.length]!;
  const inputIds = new Int32Array(total);
  const labels = new Int32Array(total);
  examples.forEach((ex, i) => {
    inputIds.set(ex.inputIds, offsets[i]!);
    labels.set(ex.labels, offsets[i]!);
  });
  const columns = { offsets, inputIds, labels };
  return { columns, examples: viewExamples(columns, examples.map((e) => e.task), examples.map((e) => e.id), examples.map((e) => e.sourceLength ?? null)), split };
}

function viewExamples(columns: TokenColumns, tasks: readonly string[], ids: readonly string[], sourceLengths: ReadonlyArray<number | null>): TrainingExample[] {
  return tasks.map((task, i) => {
    const start = columns.offsets[i]!;
    const end = columns.offsets[i + 1]!;
    const example: TrainingExample = { inputIds: columns.inputIds.subarray(start, end), labels: columns.labels.subarray(start, end), task, id: ids[i]! };
    const sourceLength = sourceLengths[i];
    if (sourceLength !== null && sourceLength !== undefined) example.sourceLength = sourceLength;
    return example;
  });
}

function listData(offsets: Int32Array, values: Int32Array): Data<List<Int32>> {
  const child = makeData({ type: new Int32(), data: values });
  return makeData({ type: new List(new Field('item', new Int32(), false)), length: offsets.length - 1, nullCount: 0, valueOffsets: offsets, child });
}

/** Arrow IPC file bytes of the table, with `metadata` (JSON) in the schema. */
export function tableToArrowFile(table: ExampleTable, metadata: unknown): Uint8Array {
  const { columns, examples } = table;
  const arrow = new Table({
    input_ids: makeVector(listData(columns.offsets, columns.inputIds)),
    labels: makeVector(listData(columns.offsets, columns.labels)),
    task: vectorFromArray(examples.map((e) => e.task), new Utf8()),
    id: vectorFromArray(examples.map((e) => e.id), new Utf8()),
    split: vectorFromArray(examples.map(() => table.split), new Utf8()),
    source_length: vectorFromArray(examples.map((e) => e.sourceLength ?? null), new Int32()),
  });
  arrow.schema.metadata.set(DATASET_METADATA_KEY, JSON.stringify(metadata));
  return tableToIPC(arrow, 'file');
}

/** The Int32 offsets and values of a list<int32> column (views when it is one chunk, as this module writes). */
function listColumn(table: Table, name: string, where: string): { offsets: Int32Array; values: Int32Array } {
  const vector = table.getChild(name);
  // Type ids, not instanceof: a file may be decoded by another copy of the arrow package.
  const child = vector?.type.children?.[0]?.type as { typeId?: Type; bitWidth?: number; isSigned?: boolean } | undefined;
  if (!vector || vector.type.typeId !== Type.List || child?.typeId !== Type.Int || child.bitWidth !== 32 || !child.isSigned) {
    throw new Error(`${where}: column "${name}" is missing or not list<int32>`);
  }
  const chunks = vector.data as Array<Data<List<Int32>>>;
  if (chunks.length === 1 && chunks[0]!.offset === 0 && chunks[0]!.children[0]!.offset === 0) {
    const d = chunks[0]!;
    return { offsets: d.valueOffsets.subarray(0, d.length + 1), values: (d.children[0]!.values as Int32Array).subarray(0, d.valueOffsets[d.length]!) };
  }
  // Several record batches (or sliced data): one copy into contiguous buffers.
  const offsets = new Int32Array(vector.length + 1);
  const parts: Int32Array[] = [];
  let row = 0;
  for (const d of chunks) {
    const child = d.children[0]!;
    for (let i = 0; i < d.length; i++) {
      const a = d.valueOffsets[d.offset + i]!;
      const b = d.valueOffsets[d.offset + i + 1]!;
      parts.push((child.values as Int32Array).subarray(child.offset + a, child.offset + b));
      offsets[row + 1] = offsets[row]! + (b - a);
      row++;
    }
  }
  const values = new Int32Array(offsets[row]!);
  parts.forEach((p, i) => values.set(p, offsets[i]!));
  return { offsets, values };
}

function stringColumn(table: Table, name: string, where: string): string[] {
  const vector = table.getChild(name);
  if (!vector || vector.type.typeId !== Type.Utf8) throw new Error(`${where}: column "${name}" is missing or not utf8`);
  return vector.toArray() as string[];
}

/** Reads Arrow IPC file bytes written by tableToArrowFile; `where` names the file in errors. */
export function tableFromArrowFile(bytes: Uint8Array, where: string): { table: ExampleTable; metadata: unknown } {
  let arrow: Table;
  try {
    arrow = tableFromIPC(bytes);
  } catch (err) {
    throw new Error(`${where} is not a readable Arrow IPC file: ${(err as Error).message}`);
  }
  const ids = listColumn(arrow, 'input_ids', where);
  const labels = listColumn(arrow, 'labels', where);
  if (ids.offsets.length !== labels.offsets.length || ids.offsets.some((o, i) => o !== labels.offsets[i])) {
    throw new Error(`${where}: input_ids and labels have different row lengths`);
  }
  const columns: TokenColumns = { offsets: ids.offsets, inputIds: ids.values, labels: labels.values };
  const tasks = stringColumn(arrow, 'task', where);
  const exampleIds = stringColumn(arrow, 'id', where);
  const splits = stringColumn(arrow, 'split', where);
  const sourceVector = arrow.getChild('source_length');
  if (!sourceVector || sourceVector.type.typeId !== Type.Int) throw new Error(`${where}: column "source_length" is missing or not int32`);
  const sourceLengths = Array.from({ length: arrow.numRows }, (_, i) => sourceVector.get(i) as number | null);
  const raw = arrow.schema.metadata.get(DATASET_METADATA_KEY);
  let metadata: unknown = null;
  if (raw !== undefined) {
    try {
      metadata = JSON.parse(raw);
    } catch {
      throw new Error(`${where}: schema metadata "${DATASET_METADATA_KEY}" is not JSON`);
    }
  }
  return { table: { columns, examples: viewExamples(columns, tasks, exampleIds, sourceLengths), split: splits[0] ?? 'train' }, metadata };
}
