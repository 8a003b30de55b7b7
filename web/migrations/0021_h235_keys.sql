-- H.323 gatekeeper registration (H.235.1): SHA-1 of the password, the key of its HMAC-SHA1-96.
-- Written whenever a password is set, like the SIP digests; NULL for passwords set before this
-- migration (those users set their password again to register H.323 endpoints).
-- Password-equivalent for H.323 registration only.
ALTER TABLE sip_digests ADD COLUMN h235_key TEXT;
