-- HLS output: the conference's picture and mix as HLS (fMP4 segments) that any HTTP cache or CDN
-- fans out to a large audience. The key is the secret part of the playlist's address
-- (/hls/ID/KEY/index.m3u8); NULL: no HLS output.
ALTER TABLE conferences ADD COLUMN hls_key TEXT;
