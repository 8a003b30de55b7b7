//! The settings the control panel manages that the configuration file and environment also know
//! (session timeouts, retention, dial-out restrictions). Each has one rule, its
//! [`Setting::validate`]; one given in the file or the environment is **fixed**: it wins over the
//! database, and the panel and `tessera admin settings` show it read-only with where it comes
//! from. One left out of both is the database's (its default until someone changes it).

use super::Config;
use anyhow::Context;
use std::path::Path;
use tessera_web::store::{Fixed, Setting};

/// Each managed setting with the environment variable that also sets it, if any.
const MANAGED: &[(Setting, Option<&str>)] = &[
    (Setting::SessionIdleMinutes, None),
    (Setting::SessionAbsoluteHours, None),
    (Setting::RetentionRecordingsDays, Some("TESSERA_RETENTION_RECORDINGS_DAYS")),
    (Setting::RetentionRecordingsMaxMb, Some("TESSERA_RETENTION_RECORDINGS_MAX_MB")),
    (Setting::RetentionHistoryDays, Some("TESSERA_RETENTION_HISTORY_DAYS")),
    (Setting::RetentionChatDays, Some("TESSERA_RETENTION_CHAT_DAYS")),
    (Setting::RetentionCallsDays, Some("TESSERA_RETENTION_CALLS_DAYS")),
    (Setting::DialOutAllowedDomains, None),
    (Setting::DialOutAllowedNetworks, Some("TESSERA_DIAL_OUT_ALLOWED_NETWORKS")),
];

/// The configuration's value of a managed setting, as text.
fn value(c: &Config, s: Setting) -> String {
    match s {
        Setting::SessionIdleMinutes => c.session.idle_timeout_minutes.to_string(),
        Setting::SessionAbsoluteHours => c.session.absolute_timeout_hours.to_string(),
        Setting::RetentionRecordingsDays => c.retention.recordings_days.to_string(),
        Setting::RetentionRecordingsMaxMb => c.retention.recordings_max_mb.to_string(),
        Setting::RetentionHistoryDays => c.retention.history_days.to_string(),
        Setting::RetentionChatDays => c.retention.chat_days.to_string(),
        Setting::RetentionCallsDays => c.retention.calls_days.to_string(),
        Setting::DialOutAllowedDomains => c.dial_out.allowed_domains.join(", "),
        Setting::DialOutAllowedNetworks => c.dial_out.allowed_networks.join(", "),
        _ => s.default_value().to_string(),
    }
}

/// Every managed value of the configuration is valid.
pub fn check(c: &Config) -> anyhow::Result<()> {
    for (s, _) in MANAGED {
        s.validate(&value(c, *s)).map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// Which managed settings the file `file` or the environment (`env`) gives, with their values.
pub fn fixed(c: &Config, file: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Fixed> {
    let table: Option<toml::Table> = match file {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading config file {}", p.display()))?;
            Some(text.parse().with_context(|| format!("in config file {}", p.display()))?)
        }
        None => None,
    };
    let mut out = Fixed::default();
    for (s, var) in MANAGED {
        let from_env = var.filter(|v| env(v).is_some_and(|x| !x.is_empty()));
        let (section, key) = s.key().split_once('.').unwrap_or(("", s.key()));
        let in_file = table.as_ref().and_then(|t| t.get(section)).and_then(|t| t.get(key)).is_some();
        let source = match (from_env, file) {
            (Some(v), _) => format!("the environment ({v})"),
            (None, Some(p)) if in_file => format!("the configuration file ({})", p.display()),
            _ => continue,
        };
        let v = s.validate(&value(c, *s)).map_err(anyhow::Error::msg)?;
        out.0.insert(s.key(), (v, source));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_in_the_file_or_the_environment_are_fixed_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(&path, "[retention]\nchat_days = 30\n[session]\nidle_timeout_minutes = 20\n").unwrap();
        let mut c = Config::from_file(&path).unwrap();
        let env = |k: &str| (k == "TESSERA_RETENTION_CALLS_DAYS").then(|| "7".to_string());
        c.apply_env(env).unwrap();
        let f = fixed(&c, Some(&path), &env).unwrap();
        let got = |k: &str| f.0.get(k).cloned();
        assert_eq!(got("retention.chat_days").map(|x| x.0), Some("30".into()));
        assert!(got("retention.chat_days").unwrap().1.contains("t.toml"));
        assert_eq!(got("session.idle_timeout_minutes").map(|x| x.0), Some("20".into()));
        assert_eq!(
            got("retention.calls_days"),
            Some(("7".into(), "the environment (TESSERA_RETENTION_CALLS_DAYS)".into()))
        );
        assert_eq!(f.0.len(), 3, "{f:?}");
        // A bad value names its setting.
        c.session.absolute_timeout_hours = 0;
        assert!(check(&c).unwrap_err().to_string().contains("session.absolute_timeout_hours"));
    }

    #[test]
    fn the_configuration_defaults_are_the_settings_defaults() {
        let c = Config::default();
        for (s, _) in MANAGED {
            assert_eq!(value(&c, *s), s.default_value(), "{}", s.key());
        }
    }
}
