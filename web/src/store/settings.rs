//! Server-wide settings the administrator changes in the control panel or with `tessera admin
//! settings`. Each has a typed default, so a fresh database needs no rows. A setting the
//! configuration file or the environment gives ([`Fixed`]) wins over the database and cannot be
//! changed there: the one place that says a setting's value is [`Store::setting`].

use super::{Result, Store, StoreError};
use sqlx::Row;
use std::collections::BTreeMap;

/// Settings fixed by the configuration file or the environment: value and where it comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fixed(pub BTreeMap<&'static str, (String, String)>);

/// Every setting, its key, its meaning and its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    LockoutMaxAttempts,
    LockoutPeriodMinutes,
    LicenseShowInfo,
    LicenseAllowRenewal,
    SchedulingAllowMulticast,
    SessionIdleMinutes,
    SessionAbsoluteHours,
    RetentionRecordingsDays,
    RetentionRecordingsMaxMb,
    RetentionHistoryDays,
    RetentionChatDays,
    RetentionCallsDays,
    DialOutAllowedDomains,
    DialOutAllowedNetworks,
    RtspConferences,
}

impl Setting {
    pub const ALL: [Setting; 15] = [
        Setting::LockoutMaxAttempts,
        Setting::LockoutPeriodMinutes,
        Setting::SessionIdleMinutes,
        Setting::SessionAbsoluteHours,
        Setting::LicenseShowInfo,
        Setting::LicenseAllowRenewal,
        Setting::SchedulingAllowMulticast,
        Setting::RtspConferences,
        Setting::RetentionRecordingsDays,
        Setting::RetentionRecordingsMaxMb,
        Setting::RetentionHistoryDays,
        Setting::RetentionChatDays,
        Setting::RetentionCallsDays,
        Setting::DialOutAllowedDomains,
        Setting::DialOutAllowedNetworks,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Setting::LockoutMaxAttempts => "lockout.max_attempts",
            Setting::LockoutPeriodMinutes => "lockout.period_minutes",
            Setting::LicenseShowInfo => "license.show_info",
            Setting::LicenseAllowRenewal => "license.allow_renewal",
            Setting::SchedulingAllowMulticast => "scheduling.allow_multicast",
            Setting::SessionIdleMinutes => "session.idle_timeout_minutes",
            Setting::SessionAbsoluteHours => "session.absolute_timeout_hours",
            Setting::RetentionRecordingsDays => "retention.recordings_days",
            Setting::RetentionRecordingsMaxMb => "retention.recordings_max_mb",
            Setting::RetentionHistoryDays => "retention.history_days",
            Setting::RetentionChatDays => "retention.chat_days",
            Setting::RetentionCallsDays => "retention.calls_days",
            Setting::DialOutAllowedDomains => "dial_out.allowed_domains",
            Setting::DialOutAllowedNetworks => "dial_out.allowed_networks",
            Setting::RtspConferences => "rtsp.conferences",
        }
    }

    pub fn default_value(self) -> &'static str {
        match self {
            Setting::LockoutMaxAttempts => "5",
            Setting::LockoutPeriodMinutes => "15",
            Setting::LicenseShowInfo => "true",
            Setting::LicenseAllowRenewal => "true",
            Setting::SchedulingAllowMulticast => "false",
            Setting::SessionIdleMinutes => "60",
            Setting::SessionAbsoluteHours => "12",
            Setting::RetentionRecordingsDays
            | Setting::RetentionRecordingsMaxMb
            | Setting::RetentionHistoryDays
            | Setting::RetentionChatDays
            | Setting::RetentionCallsDays => "0",
            Setting::DialOutAllowedDomains | Setting::DialOutAllowedNetworks => "",
            Setting::RtspConferences => "all",
        }
    }

    /// What the setting means, in English (the command line's help); the panel shows it in the
    /// reader's language through [`Setting::description_key`].
    pub fn description(self) -> &'static str {
        crate::i18n::tr(crate::i18n::Lang::En, self.description_key())
    }

    /// The i18n key of what the setting means.
    pub fn description_key(self) -> &'static str {
        match self {
            Setting::LockoutMaxAttempts => "setting.lockout.max_attempts",
            Setting::LockoutPeriodMinutes => "setting.lockout.period_minutes",
            Setting::LicenseShowInfo => "setting.license.show_info",
            Setting::LicenseAllowRenewal => "setting.license.allow_renewal",
            Setting::SchedulingAllowMulticast => "setting.scheduling.allow_multicast",
            Setting::SessionIdleMinutes => "setting.session.idle_timeout_minutes",
            Setting::SessionAbsoluteHours => "setting.session.absolute_timeout_hours",
            Setting::RetentionRecordingsDays => "setting.retention.recordings_days",
            Setting::RetentionRecordingsMaxMb => "setting.retention.recordings_max_mb",
            Setting::RetentionHistoryDays => "setting.retention.history_days",
            Setting::RetentionChatDays => "setting.retention.chat_days",
            Setting::RetentionCallsDays => "setting.retention.calls_days",
            Setting::DialOutAllowedDomains => "setting.dial_out.allowed_domains",
            Setting::DialOutAllowedNetworks => "setting.dial_out.allowed_networks",
            Setting::RtspConferences => "setting.rtsp.conferences",
        }
    }

    pub fn from_key(key: &str) -> Option<Setting> {
        Setting::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Checks a value for this setting and returns it in canonical form.
    pub fn validate(self, value: &str) -> std::result::Result<String, String> {
        let v = value.trim();
        match self {
            Setting::LockoutMaxAttempts => parse_range(v, 1, 100),
            Setting::LockoutPeriodMinutes => parse_range(v, 1, 10_080),
            Setting::LicenseShowInfo | Setting::LicenseAllowRenewal | Setting::SchedulingAllowMulticast => match v {
                "true" | "yes" | "on" | "1" => Ok("true".into()),
                "false" | "no" | "off" | "0" => Ok("false".into()),
                _ => Err(format!("{}: expected true or false, got {v:?}", self.key())),
            },
            Setting::SessionIdleMinutes => parse_range(v, 1, 10_080),
            Setting::SessionAbsoluteHours => parse_range(v, 1, 24 * 90),
            Setting::RetentionRecordingsDays
            | Setting::RetentionHistoryDays
            | Setting::RetentionChatDays
            | Setting::RetentionCallsDays => parse_range(v, 0, 36_500),
            Setting::RetentionRecordingsMaxMb => parse_range(v, 0, 1 << 40),
            Setting::DialOutAllowedDomains | Setting::DialOutAllowedNetworks => {
                let items = list(v);
                let (d, n) = if self == Setting::DialOutAllowedDomains { (&items, &vec![]) } else { (&vec![], &items) };
                crate::dial_policy::DialPolicy::new(d, n).map(|_| items.join(", ")).map_err(|e| format!("{e:#}"))
            }
            Setting::RtspConferences => match v {
                "all" | "public" | "none" => Ok(v.to_string()),
                _ => Err(format!("expected all, public or none, got {v:?}")),
            },
        }
        .map_err(|e| if e.starts_with(self.key()) { e } else { format!("{}: {e}", self.key()) })
    }
}

/// A list setting's items (commas or spaces between them).
pub fn list(v: &str) -> Vec<String> {
    v.split([',', ' ', '\n']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

fn parse_range(v: &str, min: i64, max: i64) -> std::result::Result<String, String> {
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
        _ => Err(format!("expected a whole number from {min} to {max}, got {v:?}")),
    }
}

/// A snapshot of all settings with their defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub lockout_max_attempts: i64,
    pub lockout_period_minutes: i64,
    pub license_show_info: bool,
    pub license_allow_renewal: bool,
    pub scheduling_allow_multicast: bool,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub retention: crate::retention::Policy,
    pub dial_out_allowed_domains: Vec<String>,
    pub dial_out_allowed_networks: Vec<String>,
    /// `all`, `public` or `none`.
    pub rtsp_conferences: String,
}

impl Store {
    /// Settings the configuration fixes (once, as the server or the command line starts).
    pub fn fix(&self, fixed: Fixed) {
        let _ = self.fixed.set(fixed);
    }

    /// Where a fixed setting comes from; `None` when the database holds it.
    pub fn fixed_source(&self, s: Setting) -> Option<&str> {
        self.fixed.get().and_then(|f| f.0.get(s.key())).map(|(_, source)| source.as_str())
    }

    fn fixed_value(&self, s: Setting) -> Option<String> {
        self.fixed.get().and_then(|f| f.0.get(s.key())).map(|(v, _)| v.clone())
    }

    pub async fn setting(&self, s: Setting) -> Result<String> {
        if let Some(v) = self.fixed_value(s) {
            return Ok(v);
        }
        let row =
            sqlx::query("SELECT value FROM settings WHERE key = $1").bind(s.key()).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => Ok(r.try_get("value")?),
            None => Ok(s.default_value().to_string()),
        }
    }

    /// Stores a setting after validating it; returns the canonical value.
    pub async fn set_setting(&self, s: Setting, value: &str) -> Result<std::result::Result<String, String>> {
        if let Some(source) = self.fixed_source(s) {
            return Ok(Err(format!("{} is set in {source}; change it there", s.key())));
        }
        let v = match s.validate(value) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(s.key())
        .bind(&v)
        .execute(&self.pool)
        .await?;
        self.changed().await?;
        Ok(Ok(v))
    }

    pub async fn settings(&self) -> Result<Settings> {
        let rows = sqlx::query("SELECT key, value FROM settings").fetch_all(&self.pool).await?;
        let get = |s: Setting| -> Result<String> {
            if let Some(v) = self.fixed_value(s) {
                return Ok(v);
            }
            for r in &rows {
                let k: String = r.try_get("key")?;
                if k == s.key() {
                    let v: String = r.try_get("value")?;
                    return s.validate(&v).map_err(StoreError::Corrupt);
                }
            }
            Ok(s.default_value().to_string())
        };
        let int = |v: String| v.parse::<i64>().map_err(|e| StoreError::Corrupt(e.to_string()));
        Ok(Settings {
            lockout_max_attempts: int(get(Setting::LockoutMaxAttempts)?)?,
            lockout_period_minutes: int(get(Setting::LockoutPeriodMinutes)?)?,
            license_show_info: get(Setting::LicenseShowInfo)? == "true",
            license_allow_renewal: get(Setting::LicenseAllowRenewal)? == "true",
            scheduling_allow_multicast: get(Setting::SchedulingAllowMulticast)? == "true",
            session_idle_minutes: int(get(Setting::SessionIdleMinutes)?)?,
            session_absolute_hours: int(get(Setting::SessionAbsoluteHours)?)?,
            retention: crate::retention::Policy {
                recordings_days: int(get(Setting::RetentionRecordingsDays)?)? as u32,
                recordings_max_bytes: (int(get(Setting::RetentionRecordingsMaxMb)?)? as u64).saturating_mul(1_000_000),
                history_days: int(get(Setting::RetentionHistoryDays)?)? as u32,
                chat_days: int(get(Setting::RetentionChatDays)?)? as u32,
                calls_days: int(get(Setting::RetentionCallsDays)?)? as u32,
            },
            dial_out_allowed_domains: list(&get(Setting::DialOutAllowedDomains)?),
            dial_out_allowed_networks: list(&get(Setting::DialOutAllowedNetworks)?),
            rtsp_conferences: get(Setting::RtspConferences)?,
        })
    }
}
