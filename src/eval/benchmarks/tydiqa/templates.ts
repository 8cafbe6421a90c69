// The per-language prompt pieces of open-instruct's TyDiQA evaluation (eval/tydiqa/run_eval.py @c93a41e L17-39;
// Apache-2.0): with context (instruction, passage, question and answer labels) and without (closed book).
// Text unchanged.

export interface ContextTemplate {
  instruction: string;
  passage: string;
  question: string;
  answer: string;
}

export const TEMPLATES_WITH_CONTEXT: Readonly<Record<string, ContextTemplate>> = {
  english: { instruction: 'Answer the following question based on the information in the given passage.', passage: 'Passage:', question: 'Question:', answer: 'Answer:' },
  arabic: { instruction: 'أجب على السؤال التالي بناءً على المعلومات في المقطع المعطى.', passage: 'المقطع:', question: 'السؤال:', answer: 'الإجابة:' },
  bengali: { instruction: 'প্রদত্ত অধ্যায়ের তথ্যের উপর ভিত্তি করে নিম্নলিখিত প্রশ্নের উত্তর দিন।', passage: 'অধ্যায়:', question: 'প্রশ্ন:', answer: 'উত্তর:' },
  finnish: { instruction: 'Vastaa seuraavaan kysymykseen annetun kappaleen tiedon perusteella.', passage: 'Kappale:', question: 'Kysymys:', answer: 'Vastaus:' },
  indonesian: { instruction: 'Jawab pertanyaan berikut berdasarkan informasi di bagian yang diberikan.', passage: 'Bagian:', question: 'Pertanyaan:', answer: 'Jawaban:' },
  korean: { instruction: '주어진 문단의 정보에 기반하여 다음 질문에 답하십시오.', passage: '문단:', question: '질문:', answer: '답변:' },
  russian: { instruction: 'Ответьте на следующий вопрос на основе информации в данном отрывке.', passage: 'Отрывок:', question: 'Вопрос:', answer: 'Ответ:' },
  swahili: { instruction: 'Jibu swali lifuatalo kulingana na habari kwenye kifungu kilichotolewa.', passage: 'Kifungu:', question: 'Swali:', answer: 'Jibu:' },
  telugu: { instruction: 'ఇచ్చిన పేరాలోని సమాచారం ఆధారంగా కింది ప్రశ్నకు సమాధానం ఇవ్వండి.', passage: 'పేరా:', question: 'ప్రశ్న:', answer: 'సమాధానం:' },
};

export const TEMPLATES_WITHOUT_CONTEXT: Readonly<Record<string, Omit<ContextTemplate, 'passage'>>> = {
  english: { instruction: 'Answer the following question.', question: 'Question:', answer: 'Answer:' },
  arabic: { instruction: 'أجب على السؤال التالي.', question: 'السؤال:', answer: 'الإجابة:' },
  bengali: { instruction: 'নিম্নলিখিত প্রশ্নের উত্তর দিন।', question: 'প্রশ্ন:', answer: 'উত্তর:' },
  finnish: { instruction: 'Vastaa seuraavaan kysymykseen.', question: 'Kysymys:', answer: 'Vastaus:' },
  indonesian: { instruction: 'Jawab pertanyaan berikut.', question: 'Pertanyaan:', answer: 'Jawaban:' },
  korean: { instruction: '다음 질문에 답하십시오.', question: '질문:', answer: '답변:' },
  russian: { instruction: 'Ответьте на следующий вопрос.', question: 'Вопрос:', answer: 'Ответ:' },
  swahili: { instruction: 'Jibu swali lifuatalo.', question: 'Swali:', answer: 'Jibu:' },
  telugu: { instruction: 'క్రింది ప్రశ్నకు సమాధానం ఇవ్వండి.', question: 'ప్రశ్న:', answer: 'సమాధానం:' },
};

export const TYDIQA_LANGUAGES: readonly string[] = Object.keys(TEMPLATES_WITH_CONTEXT);
