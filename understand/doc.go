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
package understand
