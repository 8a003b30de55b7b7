//! The configuration's parsing, overlays and checks.
use super::*;

#[test]
fn empty_file_is_all_defaults() {
    let c = Config::from_toml("").unwrap();
    assert_eq!(c.http.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.session.idle_timeout_minutes, 60);
    c.validate().unwrap();
}

#[test]
fn sample_config_parses() {
    let c = Config::from_toml(include_str!("../../../tessera.toml.sample")).unwrap();
    c.validate().unwrap();
    // The settings the control panel manages are left to it: the sample fixes none of them.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.toml");
    std::fs::write(&path, include_str!("../../../tessera.toml.sample")).unwrap();
    let f = super::managed::fixed(&c, Some(&path), &|_| None).unwrap();
    assert!(f.0.is_empty(), "{f:?}");
}

#[test]
fn unknown_key_names_key_and_line() {
    let e = Config::from_toml("[http]\nlisten = \"127.0.0.1:1\"\nlisen = 5\n").unwrap_err().to_string();
    assert!(e.contains("line 3") && e.contains("lisen"), "{e}");
    let e = Config::from_toml("[http]\nlisten = \"nowhere\"\n").unwrap_err().to_string();
    assert!(e.contains("line 2"), "{e}");
    let e = Config::from_toml("[session]\nidle_timeout_minutes = \"x\"\n").unwrap_err().to_string();
    assert!(e.contains("line 2"), "{e}");
}

#[test]
fn retention_keeps_everything_unless_set() {
    assert!(Config::from_toml("").unwrap().retention.policy().keeps_everything());
    let mut c = Config::from_toml("[retention]\nrecordings_max_mb = 500\nchat_days = 30\n").unwrap();
    c.apply_env(|k| (k == "TESSERA_RETENTION_HISTORY_DAYS").then(|| "90".to_string())).unwrap();
    c.validate().unwrap();
    let p = c.retention.policy();
    assert_eq!((p.recordings_max_bytes, p.chat_days, p.history_days, p.recordings_days), (500_000_000, 30, 90, 0));
    let c = Config::from_toml("[retention]\ninterval_minutes = 0\n").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("retention.interval_minutes"));
    let mut c = Config::default();
    let e = c.apply_env(|k| (k == "TESSERA_RETENTION_CHAT_DAYS").then(|| "a month".to_string())).unwrap_err();
    assert!(e.to_string().contains("TESSERA_RETENTION_CHAT_DAYS"), "{e}");
}

#[test]
fn https_settings_are_checked() {
    let c = Config::from_toml("[http]\ntls = \"files\"\n").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("http.tls_certificate"));
    let c = Config::from_toml("[http]\ntls = \"on\"\n").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("http.tls"));
    let mut c = Config::from_toml("[http]\ntls = \"self-signed\"\n").unwrap();
    c.validate().unwrap();
    assert!(c.https() && c.web().secure_cookies, "cookies are Secure behind TLS");
    assert!(c.web().public_url.starts_with("https://") && c.web().public_url.ends_with(":8443"));
    c.apply_env(|k| (k == "TESSERA_HTTP_TLS_NAMES").then(|| "a.lan, 10.0.0.5".to_string())).unwrap();
    assert_eq!(c.http.tls_names, ["a.lan", "10.0.0.5"]);
    assert!(!Config::default().https());
}

#[test]
fn out_of_range_names_key() {
    let c = Config::from_toml("[session]\nidle_timeout_minutes = 0\n").unwrap();
    let e = c.validate().unwrap_err().to_string();
    assert!(e.contains("session.idle_timeout_minutes"), "{e}");
}

#[test]
fn sip_tls_needs_an_address_a_certificate_and_a_key() {
    let c = Config::from_toml("[sip]\ntls_listen = \"0.0.0.0:5061\"\n").unwrap();
    let e = c.validate().unwrap_err().to_string();
    assert!(e.contains("sip.tls_certificate"), "{e}");
    let c = Config::from_toml("[sip]\ntls_listen = \"0.0.0.0:5061\"\ntls_certificate = \"c.pem\"\n").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("sip.tls_private_key"));
    let c = Config::from_toml("[sip]\ntls_listen = \"port 5061\"\n").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("sip.tls_listen"));
    let ok = "[sip]\ntls_listen = \"0.0.0.0:5061\"\ntls_certificate = \"c.pem\"\ntls_private_key = \"k.pem\"\n";
    assert_eq!(Config::from_toml(ok).unwrap().sip_tls_listen().unwrap().map(|a| a.port()), Some(5061));
}

#[test]
fn environment_overrides_file() {
    let mut c = Config::from_toml("[http]\nlisten = \"127.0.0.1:1\"\n").unwrap();
    c.apply_env(|k| (k == "TESSERA_HTTP_LISTEN").then(|| "127.0.0.1:2".to_string())).unwrap();
    assert_eq!(c.http.listen.port(), 2);
    let e = c.apply_env(|k| (k == "TESSERA_HTTP_LISTEN").then(|| "x".to_string())).unwrap_err();
    assert!(e.to_string().contains("TESSERA_HTTP_LISTEN"));
}

#[test]
fn h323_needs_an_address_and_sip() {
    let c = Config::from_toml("[sip]\nh323_listen = \"port 1720\"\n").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("sip.h323_listen"));
    let c = Config::from_toml("[sip]\nenabled = false\nh323_listen = \"0.0.0.0:1720\"\n").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("SIP is off"));
    let mut c = Config::default();
    assert_eq!(c.h323_listen().unwrap(), None, "off unless configured");
    c.apply_env(|k| (k == "TESSERA_H323_LISTEN").then(|| "127.0.0.1:1720".to_string())).unwrap();
    assert_eq!(c.h323_listen().unwrap().map(|a| a.port()), Some(1720));
}

#[test]
fn the_gatekeeper_needs_an_address_and_h323() {
    let c = Config::from_toml("[sip]\nh323_gatekeeper_listen = \"0.0.0.0:1719\"\n").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("sip.h323_listen is not"));
    let c = Config::from_toml("[sip]\nh323_listen = \"0.0.0.0:1720\"\nh323_gatekeeper_listen = \"1719\"\n").unwrap();
    assert!(c.validate().unwrap_err().to_string().contains("sip.h323_gatekeeper_listen = \"1719\""));
    let mut c = Config::default();
    assert_eq!(c.h323_gatekeeper_listen().unwrap(), None, "off unless configured");
    c.apply_env(|k| match k {
        "TESSERA_H323_LISTEN" => Some("127.0.0.1:1720".to_string()),
        "TESSERA_H323_GATEKEEPER_LISTEN" => Some("127.0.0.1:1719".to_string()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.h323_gatekeeper_listen().unwrap().map(|a| a.port()), Some(1719));
    c.validate().unwrap();
}
