// Fixed word lists for the built-in tasks (written for this project).

/** Simple words for generated sentences. */
export const SENTENCE_WORDS: readonly string[] = [
  'red', 'blue', 'green', 'yellow', 'small', 'big', 'happy', 'quiet', 'fast', 'slow',
  'cat', 'dog', 'bird', 'fish', 'tree', 'river', 'house', 'car', 'book', 'apple',
  'bread', 'milk', 'sun', 'moon', 'star', 'rain', 'snow', 'wind', 'hill', 'road',
  'door', 'window', 'chair', 'table', 'cup', 'ship', 'train', 'clock', 'lamp', 'garden',
  'flower', 'stone', 'horse', 'mouse', 'lion', 'tiger', 'bear', 'frog', 'duck', 'sheep',
  'runs', 'jumps', 'sings', 'reads', 'sleeps', 'eats', 'walks', 'swims', 'flies', 'sees',
  'likes', 'finds', 'holds', 'opens', 'paints', 'writes', 'under', 'over', 'near', 'with',
];

/** Nouns for the uppercase task. */
export const NOUNS: readonly string[] = SENTENCE_WORDS.slice(10, 50);

/** Word pairs with opposite meanings; every word appears once. */
export const ANTONYM_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['hot', 'cold'], ['big', 'small'], ['up', 'down'], ['fast', 'slow'], ['happy', 'sad'],
  ['day', 'night'], ['open', 'closed'], ['early', 'late'], ['old', 'young'], ['rich', 'poor'],
  ['strong', 'weak'], ['full', 'empty'], ['wet', 'dry'], ['hard', 'soft'], ['high', 'low'],
  ['long', 'short'], ['heavy', 'light'], ['loud', 'quiet'], ['clean', 'dirty'], ['first', 'last'],
  ['win', 'lose'], ['push', 'pull'], ['buy', 'sell'], ['give', 'take'], ['start', 'finish'],
  ['true', 'false'], ['good', 'bad'], ['left', 'right'], ['in', 'out'], ['north', 'south'],
  ['east', 'west'], ['black', 'white'], ['thick', 'thin'], ['sweet', 'sour'], ['inside', 'outside'],
  ['above', 'below'], ['before', 'after'], ['always', 'never'], ['many', 'few'], ['near', 'far'],
  ['cheap', 'expensive'], ['easy', 'difficult'], ['safe', 'dangerous'], ['friend', 'enemy'], ['question', 'answer'],
  ['enter', 'exit'], ['laugh', 'cry'], ['remember', 'forget'], ['arrive', 'leave'], ['love', 'hate'],
  ['top', 'bottom'], ['front', 'back'], ['alive', 'dead'], ['asleep', 'awake'], ['smooth', 'rough'],
  ['sharp', 'dull'], ['wide', 'narrow'], ['deep', 'shallow'], ['begin', 'end'], ['accept', 'refuse'],
];

/** Singular nouns and their plurals, regular and irregular. */
export const PLURALS: ReadonlyArray<readonly [string, string]> = [
  ['cat', 'cats'], ['dog', 'dogs'], ['book', 'books'], ['tree', 'trees'], ['car', 'cars'],
  ['house', 'houses'], ['apple', 'apples'], ['chair', 'chairs'], ['table', 'tables'], ['cup', 'cups'],
  ['box', 'boxes'], ['bus', 'buses'], ['church', 'churches'], ['dish', 'dishes'], ['fox', 'foxes'],
  ['watch', 'watches'], ['brush', 'brushes'], ['glass', 'glasses'], ['class', 'classes'], ['kiss', 'kisses'],
  ['baby', 'babies'], ['city', 'cities'], ['party', 'parties'], ['story', 'stories'], ['lady', 'ladies'],
  ['fly', 'flies'], ['penny', 'pennies'], ['cherry', 'cherries'], ['key', 'keys'], ['toy', 'toys'],
  ['day', 'days'], ['boy', 'boys'], ['leaf', 'leaves'], ['knife', 'knives'], ['wife', 'wives'],
  ['wolf', 'wolves'], ['life', 'lives'], ['half', 'halves'], ['shelf', 'shelves'], ['loaf', 'loaves'],
  ['man', 'men'], ['woman', 'women'], ['child', 'children'], ['foot', 'feet'], ['tooth', 'teeth'],
  ['mouse', 'mice'], ['goose', 'geese'], ['person', 'people'], ['ox', 'oxen'], ['cactus', 'cacti'],
  ['sheep', 'sheep'], ['fish', 'fish'], ['deer', 'deer'], ['potato', 'potatoes'], ['tomato', 'tomatoes'],
  ['hero', 'heroes'], ['photo', 'photos'], ['piano', 'pianos'], ['river', 'rivers'], ['star', 'stars'],
];
