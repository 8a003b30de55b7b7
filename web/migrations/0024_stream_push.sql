-- Live streaming to a platform: the conference's picture and mix pushed to an rtmp://, rtmps://
-- or srt:// URL (YouTube Live, a company's media server) while it runs. The URL holds the
-- platform's stream key: it is shown in full only to the administrator's CLI.
ALTER TABLE conferences ADD COLUMN stream_url TEXT;
