-- The last delivery status Twilio reported for a message that acuerdo cannot
-- place in a message's life (a status added to Twilio's list after this
-- release). It is kept verbatim so nothing Twilio said is lost, while status
-- keeps the furthest known state.
ALTER TABLE messages ADD COLUMN unranked_status TEXT NOT NULL DEFAULT '';
