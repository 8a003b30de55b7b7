-- A conference that takes encrypted media only: SIP callers must use SRTP (SDES over SIP TLS),
-- H.323 calls (no media encryption) are refused; browsers always encrypt (DTLS-SRTP).
ALTER TABLE conferences ADD COLUMN encrypted_media BIGINT NOT NULL DEFAULT 0;
