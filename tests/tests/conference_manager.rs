//! The conference manager in headless Chromium (`browser/manager.mjs`) against a running room
//! of synthetic participants and a SIP caller (SIPp): a 2x2 layout with names at the bottom and
//! windows chosen and swapped by dragging, seen in a frame grabbed from RTSP; a rename changes
//! the label; muting the only sound silences the mix; cameras off for two at once; the roster
//! follows joins and leaves; a stale layout from a second operator is refused and the last
//! applied one wins; out-of-range windows are refused; removing the phone ends its call; End
//! ends the conference; a participant without rights is refused by the page and the API.

use tessera_e2e::Server;
use tessera_e2e::sipp::{finish, spawn};

const W: usize = 640;
const H: usize = 360;

/// A call that waits for the server to hang up: INVITE, 200, ACK, then BYE from Tessera.
fn call_until_removed() -> String {
    r#"<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="until removed">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Phone" <sip:phone@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:phone@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Phone" <sip:phone@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"#
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_run_a_meeting_from_the_manager() {
    let s = Server::start();
    s.add_user("alice", "alice-password");
    s.add_user("dave", "dave-password");
    s.admin_ok(&["conference", "add", "ops", "--name", "Ops review", "--owner", "alice", "--room", "--public"], "");
    s.admin_ok(&["conference", "invite", "ops", "dave"], "");
    let (alice, csrf) = s.sign_in("alice", "alice-password").await;
    for (name, colour, tone) in [
        ("Red", [230, 30, 30], 440),
        ("Green", [30, 200, 30], 0),
        ("Blue", [30, 30, 230], 0),
        ("Yellow", [230, 230, 30], 0),
    ] {
        let r = alice
            .post(format!("{}/api/v1/conferences/ops/live", s.base))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"action": "add_synthetic", "name": name, "colour": colour, "tone_hz": tone}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
    // The phone joins over SIP and stays until the manager removes it.
    let sipdir = tempfile::tempdir().unwrap();
    let phone = spawn(s.sip_port, sipdir.path(), "ops", &call_until_removed(), &[]);
    let base = s.base.clone();
    let alice2 = alice.clone();
    tessera_e2e::eventually("the phone is in the room", || {
        let (c, b) = (alice2.clone(), base.clone());
        async move {
            let v: serde_json::Value =
                c.get(format!("{b}/api/v1/conferences/ops/live")).send().await.unwrap().json().await.unwrap();
            v["participants"].as_array().is_some_and(|p| p.len() == 5)
        }
    })
    .await;

    let out = tempfile::tempdir().unwrap();
    let keep = std::env::var("TESSERA_SCREENSHOTS").ok();
    let out_dir = keep.clone().unwrap_or_else(|| out.path().display().to_string());
    let rtsp = format!("rtsp://127.0.0.1:{}/ops", s.rtsp_port);
    let (w, h) = (W.to_string(), H.to_string());
    let base = s.base.clone();
    let stdout = tokio::task::spawn_blocking(move || {
        tessera_e2e::run_browser(
            "manager",
            &[
                ("BASE", &base),
                ("RTSP", &rtsp),
                ("W", &w),
                ("H", &h),
                ("CONF", "ops"),
                ("LOGIN", "alice"),
                ("PASSWORD", "alice-password"),
                ("OTHER", "dave"),
                ("OTHER_PASSWORD", "dave-password"),
                ("OUT", &out_dir),
            ],
        )
    })
    .await
    .unwrap();
    let line = stdout.lines().last().unwrap_or_default();
    let r: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    eprintln!("{r:#}");
    assert_eq!(r["ok"], true, "{}\n{}", r["error"].as_str().unwrap_or_default(), s.log());

    assert_eq!((r["other_page"].as_u64(), r["other_api"].as_u64()), (Some(403), Some(403)), "{r}");
    assert_eq!(r["name"], "Ops review");
    assert!(r["rtsp"].as_str().unwrap().starts_with("rtsp://"), "{}", r["rtsp"]);
    // Dragging window 1 onto window 2 swapped Blue and Red.
    let slots: Vec<&str> = r["slots_before_apply"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(slots.len(), 4);
    let near = |v: &serde_json::Value, c: [i64; 3]| {
        let p: Vec<i64> = v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
        p.iter().zip(c).all(|(a, b)| (a - b).abs() < 60)
    };
    let g = &r["grid"];
    assert!(near(&g["tl"], [230, 30, 30]), "top left is Red: {g}");
    assert!(near(&g["tr"], [30, 30, 230]), "top right is Blue: {g}");
    assert!(near(&g["bl"], [30, 200, 30]), "bottom left is Green: {g}");
    assert!(near(&g["br"], [230, 230, 30]), "bottom right is Yellow: {g}");
    let (before, after) = (r["label_before"].as_u64().unwrap(), r["label_after"].as_u64().unwrap());
    assert!(before > 20, "a name label at the bottom of Red's window: {before}");
    assert!(after > before + before / 3, "the longer name fills more of the label: {before} -> {after}");
    let (v0, v1) = (r["volume_before"].as_f64().unwrap(), r["volume_after"].as_f64().unwrap());
    assert!(v0 > -40.0 && v1 < v0 - 20.0, "muting the tone silences the mix: {v0} dB -> {v1} dB");
    assert_eq!(r["cameras_off"], serde_json::json!(["Blue", "Green"]));
    assert!(r["stale_error"].as_str().unwrap().contains("reload"), "{}", r["stale_error"]);
    assert_eq!(r["after_stale"], 9, "the refused layout changed nothing");
    assert!(r["range_error"].as_str().unwrap().contains("window"), "{}", r["range_error"]);
    assert_eq!(r["after_range"], 2);
    let (ok, out) = tokio::task::spawn_blocking({
        let d = sipdir.path().to_path_buf();
        move || finish(phone, &d)
    })
    .await
    .unwrap();
    assert!(ok, "the phone's call ended with a BYE from Tessera:\n{out}");
}
