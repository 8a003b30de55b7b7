//! `tessera ctl`, the live command line, against the running server over its control socket:
//! status, the running conferences, their participants while baresip is in one, registrations,
//! kick, end; and `drain`, which lets nothing new start, waits for the running conference to
//! end, and then stops the server with status 0.

use serde_json::{Value, json};
use std::process::{Command, Stdio};
use tessera_e2e::{KillOnDrop, Server, baresip_config};

fn ctl(s: &Server, args: &[&str]) -> (bool, String) {
    let o = tessera_e2e::tessera_cmd()
        .arg("ctl")
        .args(args)
        .env("TESSERA_DATA_DIR", s.data_dir())
        .env_remove("TESSERA_CTL_SOCKET")
        .env_remove("RUNTIME_DIRECTORY")
        .output()
        .expect("tessera ctl");
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

fn ctl_json(s: &Server, args: &[&str]) -> Value {
    let (ok, out) = ctl(s, args);
    assert!(ok, "tessera ctl {args:?}: {out}");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctl_shows_and_runs_the_live_server_and_drains_it() {
    let mut s = Server::start();
    s.admin_ok(&["conference", "add", "ops", "--name", "Ops", "--owner", "admin", "--room", "--public"], "");
    s.admin_ok(&["conference", "add", "later", "--name", "Later", "--owner", "admin", "--room"], "");
    // The socket is the owner's only.
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(s.data_dir().join("ctl.sock")).expect("the control socket").permissions(),
    );
    assert_eq!(mode & 0o077, 0, "{mode:o}");
    let status = ctl_json(&s, &["status", "--json"]);
    assert_eq!((status["conferences"].as_u64(), status["draining"].as_bool()), (Some(0), Some(false)), "{status}");

    let (admin, csrf) = s.sign_in("admin", "admin-password").await;
    let live = |id: &str| format!("{}/api/v1/conferences/{id}/live", s.base);
    let r = admin
        .post(live("ops"))
        .header("x-csrf-token", &csrf)
        .json(&tessera_e2e::live_api::synthetic("Camera", (200, 40, 40), 0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // baresip calls in and stays.
    let dir = tempfile::tempdir().unwrap();
    baresip_config(dir.path(), "");
    let log = std::fs::File::create(dir.path().join("out.txt")).unwrap();
    let child = Command::new("baresip")
        .args([
            "-f",
            dir.path().to_str().unwrap(),
            "-e",
            &format!("/dial sip:ops@127.0.0.1:{}", s.sip_port),
            "-t",
            "60",
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("baresip is missing: apt-get install baresip-core (scripts/test.sh does)");
    let baresip = KillOnDrop(child);
    let mut people = Value::Null;
    for _ in 0..100 {
        people = ctl_json(&s, &["participants", "ops", "--json"]);
        if people.as_array().is_some_and(|p| p.iter().any(|p| p["kind"] == "rtp")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let names: Vec<&str> = people.as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    assert!(names.contains(&"Camera") && names.len() == 2, "{people}");
    let (ok, table) = ctl(&s, &["participants", "ops"]);
    assert!(ok && table.contains("Camera\tsynthetic") && table.contains("\trtp\t"), "{table}");
    let confs = ctl_json(&s, &["conferences", "--json"]);
    assert_eq!(confs, json!([{"conference": "ops", "participants": 2}]));
    assert_eq!(ctl_json(&s, &["registrations", "--json"]), json!([]));

    // Kick the synthetic camera; a conference that does not run is an error with its reason.
    let camera = people.as_array().unwrap().iter().find(|p| p["name"] == "Camera").unwrap()["id"].to_string();
    let (ok, out) = ctl(&s, &["kick", "ops", &camera]);
    assert!(ok, "{out}");
    let left = ctl_json(&s, &["participants", "ops", "--json"]);
    assert_eq!(left.as_array().map(Vec::len), Some(1), "{left}");
    let (ok, out) = ctl(&s, &["participants", "later"]);
    assert!(!ok && out.contains("not running"), "{out}");

    // Junk on the socket: a line that is not a command, an unknown command, one with a field too
    // many, and an endless line (cut at 64 KiB) are each answered with an error; the server goes on.
    let ask_raw = |bytes: Vec<u8>| {
        use std::io::{Read, Write};
        let mut c = std::os::unix::net::UnixStream::connect(s.data_dir().join("ctl.sock")).unwrap();
        let mut w = c.try_clone().unwrap();
        // The server may answer and close before taking all of an endless line.
        let writer = std::thread::spawn(move || {
            let _ = w.write_all(&bytes);
        });
        let mut answer = String::new();
        c.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let _ = c.read_to_string(&mut answer);
        let _ = writer.join();
        answer
    };
    for junk in [
        b"not json\n".to_vec(),
        b"{\"command\":\"reboot\"}\n".to_vec(),
        b"{\"command\":\"status\",\"as\":\"root\"}\n".to_vec(),
        vec![b'x'; 200_000],
    ] {
        let answer = ask_raw(junk);
        assert!(answer.contains("\"ok\":false") && answer.contains("not a command"), "{answer}");
    }
    assert!(ctl(&s, &["status"]).0, "the server still answers");

    // Drain: nothing new starts while baresip's call goes on; ending it lets the server stop.
    let data_dir = s.data_dir();
    let drain = std::thread::spawn(move || {
        tessera_e2e::tessera_cmd()
            .args(["ctl", "drain", "--timeout-seconds", "60"])
            .env("TESSERA_DATA_DIR", data_dir)
            .output()
            .unwrap()
    });
    let mut draining = Value::Null;
    for _ in 0..50 {
        draining = ctl_json(&s, &["status", "--json"]);
        if draining["draining"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(draining["draining"], true, "{draining}");
    let r = admin.post(live("later")).header("x-csrf-token", &csrf).json(&json!({"action": "start"})).send().await;
    let r = r.unwrap();
    assert_eq!(r.status(), 503, "nothing new starts while draining");
    assert!(r.text().await.unwrap().contains("draining"));
    assert!(ctl(&s, &["end", "ops"]).0);
    let out = drain.join().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && said.contains("drained (0 still running)"), "{said}");
    let st = s.wait_exit(30);
    assert!(st.success(), "the server's exit after draining: {st:?}\n{}", s.log());
    drop(baresip);
    assert!(!s.data_dir().join("ctl.sock").exists(), "the socket is removed on the way out");

    // The audit log kept what changed something, from both command lines, with who and how.
    let csv = s.admin_ok(&["audit", "--csv"], "");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "time (UTC),actor,source,action,outcome", "{csv}");
    let has = |source: &str, action: &str, outcome: &str| {
        lines.iter().any(|l| l.contains(&format!(",{source},")) && l.contains(action) && l.ends_with(outcome))
    };
    assert!(has("ctl", "Kick", ",ok") && has("ctl", "End", ",ok") && has("ctl", "Drain", ",started"), "{csv}");
    assert!(has("cli", "Conference(Add", ",ok"), "{csv}");
    assert!(!csv.contains("Audit"), "reading the log is not an action: {csv}");
}
