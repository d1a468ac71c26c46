-- Someone who said they are not the debtor (or that the number is no longer
-- theirs) wrote in this conversation at third_party_at: verification and any
-- debt detail are refused there for a period, or until an operator who spoke
-- with the person hands the conversation back to the bot.
ALTER TABLE conversations ADD COLUMN third_party_at TIMESTAMP;
