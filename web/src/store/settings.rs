//! Server-wide settings the administrator changes with `tessera admin settings`. Each has a
//! typed default, so a fresh database needs no rows.

use super::{Result, Store, StoreError};
use sqlx::Row;

/// Every setting, its key, its meaning and its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    LockoutMaxAttempts,
    LockoutPeriodMinutes,
    LicenseShowInfo,
    LicenseAllowRenewal,
    SchedulingAllowMulticast,
}

impl Setting {
    pub const ALL: [Setting; 5] = [
        Setting::LockoutMaxAttempts,
        Setting::LockoutPeriodMinutes,
        Setting::LicenseShowInfo,
        Setting::LicenseAllowRenewal,
        Setting::SchedulingAllowMulticast,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Setting::LockoutMaxAttempts => "lockout.max_attempts",
            Setting::LockoutPeriodMinutes => "lockout.period_minutes",
            Setting::LicenseShowInfo => "license.show_info",
            Setting::LicenseAllowRenewal => "license.allow_renewal",
            Setting::SchedulingAllowMulticast => "scheduling.allow_multicast",
        }
    }

    pub fn default_value(self) -> &'static str {
        match self {
            Setting::LockoutMaxAttempts => "5",
            Setting::LockoutPeriodMinutes => "15",
            Setting::LicenseShowInfo => "true",
            Setting::LicenseAllowRenewal => "true",
            Setting::SchedulingAllowMulticast => "false",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Setting::LockoutMaxAttempts => "failed sign-ins (web, SIP, H.323) after which an account is locked (1-100)",
            Setting::LockoutPeriodMinutes => "how long a locked account stays locked, in minutes (1-10080)",
            Setting::LicenseShowInfo => "whether users see their PRO license on the main page (true/false)",
            Setting::LicenseAllowRenewal => {
                "whether users may renew a temporary PRO license for 24 hours themselves (true/false)"
            }
            Setting::SchedulingAllowMulticast => {
                "whether users may give their conferences a multicast output in the scheduling form (true/false)"
            }
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
        }
        .map_err(|e| if e.starts_with(self.key()) { e } else { format!("{}: {e}", self.key()) })
    }
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
}

impl Store {
    pub async fn setting(&self, s: Setting) -> Result<String> {
        let row =
            sqlx::query("SELECT value FROM settings WHERE key = $1").bind(s.key()).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => Ok(r.try_get("value")?),
            None => Ok(s.default_value().to_string()),
        }
    }

    /// Stores a setting after validating it; returns the canonical value.
    pub async fn set_setting(&self, s: Setting, value: &str) -> Result<std::result::Result<String, String>> {
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
        })
    }
}
