//! The HLS output behind a plain HTTP cache: nginx from Debian as a caching proxy in front of
//! Tessera (what a CDN is to it), and ffmpeg's HLS player as two viewers. What the viewers get
//! decodes (H.264 with the conference's picture, AAC with its sound); the second viewer's
//! segments come from the cache; the address's key is the only way in, a new key shuts the old
//! address at once, and the playlist ends when the conference does.

use serde_json::json;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use tessera_e2e::live_api::{Api, BLUE, synthetic};
use tessera_e2e::media::{Picture, assert_h264_aac_with_sound};
use tessera_e2e::{KillOnDrop, free_port};

/// nginx caching whatever Tessera at `upstream` says it may, logging each request's cache status.
fn caching_proxy(dir: &Path, upstream: u16) -> (KillOnDrop, u16) {
    let port = free_port();
    let d = dir.display();
    std::fs::create_dir_all(dir.join("cache")).unwrap();
    let conf = format!(
        "daemon off; master_process off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  log_format cache '$request_uri $status $upstream_cache_status';
  access_log {d}/access.log cache;
  proxy_cache_path {d}/cache keys_zone=hls:1m max_size=100m inactive=10m use_temp_path=off;
  server {{
    listen 127.0.0.1:{port};
    location / {{ proxy_pass http://127.0.0.1:{upstream}; proxy_cache hls; proxy_cache_lock on; }}
  }}
}}
"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let nginx = KillOnDrop(
        Command::new("nginx")
            .args(["-e", &format!("{d}/error.log"), "-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx (apt-get install nginx-light)"),
    );
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (nginx, port);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nginx did not start: {}", std::fs::read_to_string(dir.join("error.log")).unwrap_or_default());
}

/// A viewer: ffmpeg playing `url` for four seconds into `file`, then what it got.
fn watch(url: &str, file: &Path) {
    let o = Command::new("timeout")
        .args(["60", "ffmpeg", "-v", "error", "-i", url, "-t", "4", "-c", "copy", "-y"])
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success(), "ffmpeg playing {url}: {}", String::from_utf8_lossy(&o.stderr));
    assert_h264_aac_with_sound(file, 3.0);
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-vf", "select=gte(n\\,10),scale=320:180", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    let picture = Picture { width: 320, height: 180, rgb: o.stdout };
    assert_eq!(picture.rgb.len(), 320 * 180 * 3, "a picture decodes");
    assert!(picture.share_near(BLUE) > 0.3, "the speaker's picture is not there: {:.2} blue", picture.share_near(BLUE));
}

/// The address `tessera admin conference media` printed.
fn hls_address(out: &str) -> String {
    let line = out.lines().find_map(|l| l.strip_prefix("HLS: ")).unwrap_or_else(|| panic!("{out}"));
    let path = line.find("/hls/").map(|i| &line[i..]).unwrap_or_else(|| panic!("{out}"));
    path.to_string()
}

async fn status(c: &reqwest::Client, url: &str) -> (u16, String, String) {
    let r = c.get(url).send().await.unwrap();
    let cache = r.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (r.status().as_u16(), cache, r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conference_is_watched_as_hls_through_an_http_cache() {
    let s = tessera_e2e::Server::start();
    s.admin_ok(&["conference", "add", "webinar", "--name", "Webinar", "--owner", "admin", "--room", "--public"], "");
    let out = s.admin_ok(&["conference", "media", "webinar", "--hls"], "");
    let path = hls_address(&out);
    assert!(out.contains(&format!("HLS: {}{path}", s.base)), "{out}");
    // Asked again, the published address stays.
    assert_eq!(hls_address(&s.admin_ok(&["conference", "media", "webinar", "--hls"], "")), path);
    let c = reqwest::Client::new();
    let (code, cache, _) = status(&c, &format!("{}{path}", s.base)).await;
    assert_eq!((code, cache.as_str()), (404, "no-store"), "not running: nothing, and nothing a cache keeps");

    let nginx_dir = s.dir.path().join("nginx");
    let (_nginx, proxy) = caching_proxy(&nginx_dir, s.port);
    let api = Api::new(&s, "admin", "admin-password").await;
    api.ok("webinar", synthetic("Speaker", BLUE, 440)).await;
    let url = format!("http://127.0.0.1:{proxy}{path}");
    let mut segments = 0;
    for _ in 0..300 {
        let (code, cache, body) = status(&c, &url).await;
        if code == 200 {
            assert_eq!(cache, "public, max-age=1");
            segments = body.matches("#EXTINF:").count();
            if segments >= 3 {
                assert!(body.contains("#EXT-X-MAP:URI=\"init-") && !body.contains("ENDLIST"), "{body}");
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(segments >= 3, "the playlist did not fill: {segments} segments");

    // Two viewers through the cache: the second one's segments are the first one's.
    for n in 1..=2 {
        let (url, file) = (url.clone(), s.dir.path().join(format!("viewer{n}.mp4")));
        tokio::task::spawn_blocking(move || watch(&url, &file)).await.unwrap();
    }
    let log = std::fs::read_to_string(nginx_dir.join("access.log")).unwrap();
    let hits = |what: &str| log.lines().filter(|l| l.contains(what) && l.ends_with(" 200 HIT")).count();
    assert!(hits("/init-") >= 1 && hits(".m4s ") >= 1, "the cache served nothing twice:\n{log}");

    // The key is the only way in; a new one shuts the old address at once.
    let wrong = path.replace("/index.m3u8", "x/index.m3u8");
    assert_eq!(status(&c, &format!("{}{wrong}", s.base)).await.0, 404);
    assert_eq!(status(&c, &format!("{}/hls/webinar/../index.m3u8", s.base)).await.0, 404);
    // Guessing in a flood: 400 keys tried at once, each a 404 that is counted, and the stream
    // goes on for the right one.
    let guesses = (0..400).map(|n| {
        let url = format!("{}/hls/webinar/{n:043}/index.m3u8", s.base);
        let c = c.clone();
        tokio::spawn(async move { status(&c, &url).await.0 })
    });
    for g in guesses.collect::<Vec<_>>() {
        assert_eq!(g.await.unwrap(), 404);
    }
    let metrics = reqwest::get(s.metrics.clone()).await.unwrap().text().await.unwrap();
    let refused: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("tessera_hls_refused_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no tessera_hls_refused_total in {metrics}"));
    assert!(refused >= 401.0, "refusals counted: {refused}");
    assert_eq!(status(&c, &format!("{}{path}", s.base)).await.0, 200, "the flood stopped the stream");
    let new = hls_address(&s.admin_ok(&["conference", "media", "webinar", "--hls-new-key"], ""));
    assert_ne!(new, path);
    assert_eq!(status(&c, &format!("{}{path}", s.base)).await.0, 404, "the old address still works");
    assert_eq!(status(&c, &format!("{}{new}", s.base)).await.0, 200, "the new address does not");

    // The conference ends: so does the playlist.
    api.ok("webinar", json!({"action": "end"})).await;
    let (code, _, body) = status(&c, &format!("{}{new}", s.base)).await;
    assert!(code == 200 && body.ends_with("#EXT-X-ENDLIST\n"), "{code} {body}");
    let out = s.admin_ok(&["conference", "media", "webinar", "--no-hls"], "");
    assert!(out.contains("HLS: off"), "{out}");
    assert_eq!(status(&c, &format!("{}{new}", s.base)).await.0, 404);
    let key = new.split('/').nth(3).unwrap();
    assert!(key.len() >= 40 && !s.log().contains(key), "the HLS key reached the log");
}
