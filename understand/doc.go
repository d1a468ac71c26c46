// Package understand reads what debtors write on WhatsApp, in Spanish,
// Brazilian Portuguese and English, the way they really write it: typos, no
// accents, slang, emojis, run-on voice-note sentences and several messages
// folded into one. It returns intents (what the debtor wants) and entities
// (dates, amounts, installment counts, yes/no, a language), the design Rasa
// popularised. One reader serves everyone: the guards that run before any
// model, the offline menu engine, and the model path.
//
// Two techniques work together. Lexicons (regular expressions over folded
// words, plus fuzzy matching of key words) give the guard intents the recall
// the law and decency ask for: opt-out, hardship, dispute, complaint, legal, a
// person, a third party, a wrong number. A small naive Bayes classifier,
// trained at start-up on the labelled corpus in testdata/train.tsv, reads the
// rest and catches what no pattern lists (hardship told as a story). The
// held-out split (testdata/heldout.tsv) is never trained or tuned on; its
// per-intent precision and recall are printed by TestHeldOut.
//
// Strangers who hold a debtor's old number answer with the debtor's name
// ("¿quién es Juan?", "not robert lol"), which no lexicon can list: given
// Context.Name, those forms are read against it (names.go). Whoever says they
// do not know the debtor has a wrong number; whoever says only that they are
// someone else (a relative, or telling of the debtor's death) is a third party.
//
// A message's language is clear with three marking words and twice the
// runner-up's, or, in a sentence of three words or more, with two marking
// words of one language, none of another, not all of them courtesy words
// people borrow ("ok thank you").
package understand
