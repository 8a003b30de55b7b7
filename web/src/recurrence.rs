//! Recurring conferences: daily, weekly on chosen days or monthly on the start's day of the
//! month, every N periods, until a date or for a number of occurrences. Occurrences keep the
//! start's wall-clock time in the conference's time zone (so a 10:00 meeting stays at 10:00
//! across daylight-saving changes). Stored as an RFC 5545 RRULE subset, exported to `.ics`
//! with the same rule. Every series ends: a date or a count, at most ten years after the start.

use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;

/// The most occurrences a series may have.
pub const MAX_COUNT: u32 = 500;
/// The most periods between occurrences.
pub const MAX_INTERVAL: u32 = 99;
/// A series ends at most this many years after its start.
pub const MAX_YEARS: u32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Freq {
    Daily,
    Weekly,
    Monthly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The last local date an occurrence may fall on.
    Until(NaiveDate),
    /// The number of occurrences.
    Count(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub freq: Freq,
    pub interval: u32,
    /// Weekly only: the days, Monday first, no repeats.
    pub weekdays: Vec<Weekday>,
    pub end: End,
}

const DAY_CODES: [(Weekday, &str); 7] = [
    (Weekday::Mon, "MO"),
    (Weekday::Tue, "TU"),
    (Weekday::Wed, "WE"),
    (Weekday::Thu, "TH"),
    (Weekday::Fri, "FR"),
    (Weekday::Sat, "SA"),
    (Weekday::Sun, "SU"),
];

pub fn day_code(d: Weekday) -> &'static str {
    DAY_CODES[d.num_days_from_monday() as usize].1
}

pub fn parse_day_code(s: &str) -> Option<Weekday> {
    DAY_CODES.iter().find(|(_, c)| c.eq_ignore_ascii_case(s)).map(|(d, _)| *d)
}

/// Local date and time to UTC seconds. A time that does not exist (skipped by a DST change) is
/// moved an hour later, as calendar programs do; a repeated one takes the first.
pub fn local_to_utc(tz: Tz, at: NaiveDateTime) -> i64 {
    tz.from_local_datetime(&at)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(at + chrono::Duration::hours(1))).earliest())
        .map(|t| t.timestamp())
        .unwrap_or_else(|| at.and_utc().timestamp())
}

pub fn utc_to_local(tz: Tz, t: i64) -> NaiveDateTime {
    tz.timestamp_opt(t, 0).single().map(|d| d.naive_local()).unwrap_or_default()
}

impl Recurrence {
    /// The stored form: `FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10` or `…;UNTIL=20270131`.
    pub fn to_rrule(&self) -> String {
        let mut s = format!(
            "FREQ={};INTERVAL={}",
            match self.freq {
                Freq::Daily => "DAILY",
                Freq::Weekly => "WEEKLY",
                Freq::Monthly => "MONTHLY",
            },
            self.interval
        );
        if self.freq == Freq::Weekly {
            let days: Vec<&str> = self.weekdays.iter().map(|d| day_code(*d)).collect();
            s.push_str(&format!(";BYDAY={}", days.join(",")));
        }
        match self.end {
            End::Count(n) => s.push_str(&format!(";COUNT={n}")),
            End::Until(d) => s.push_str(&format!(";UNTIL={}", d.format("%Y%m%d"))),
        }
        s
    }

    /// The rule for an `.ics` whose DTSTART carries the conference's TZID: UNTIL must then be
    /// a UTC time (RFC 5545 3.3.10); it is the end of the until date in the conference's zone.
    pub fn ics_rrule(&self, tz: Tz) -> String {
        match self.end {
            End::Count(_) => self.to_rrule(),
            End::Until(d) => {
                let end = local_to_utc(tz, d.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)));
                let until = chrono::DateTime::from_timestamp(end, 0).unwrap_or_default().format("%Y%m%dT%H%M%SZ");
                let rule = Recurrence { end: End::Count(1), ..self.clone() }.to_rrule();
                format!("{};UNTIL={until}", rule.trim_end_matches(";COUNT=1"))
            }
        }
    }

    /// Reads the stored form back (only what `to_rrule` writes).
    pub fn parse(s: &str) -> Result<Recurrence, String> {
        let (mut freq, mut interval, mut weekdays, mut end) = (None, 1, Vec::new(), None);
        for part in s.split(';') {
            let (k, v) = part.split_once('=').ok_or_else(|| format!("{part:?} is not KEY=VALUE"))?;
            match k {
                "FREQ" => {
                    freq = Some(match v {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        _ => return Err(format!("unknown FREQ {v:?}")),
                    })
                }
                "INTERVAL" => interval = v.parse().map_err(|_| format!("INTERVAL {v:?}"))?,
                "BYDAY" => {
                    for c in v.split(',') {
                        weekdays.push(parse_day_code(c).ok_or_else(|| format!("BYDAY {c:?}"))?);
                    }
                }
                "COUNT" => end = Some(End::Count(v.parse().map_err(|_| format!("COUNT {v:?}"))?)),
                "UNTIL" => {
                    end = Some(End::Until(NaiveDate::parse_from_str(v, "%Y%m%d").map_err(|_| format!("UNTIL {v:?}"))?))
                }
                _ => return Err(format!("unknown part {k:?}")),
            }
        }
        let r = Recurrence {
            freq: freq.ok_or("FREQ is missing")?,
            interval,
            weekdays,
            end: end.ok_or("the series has no end (UNTIL or COUNT)")?,
        };
        Ok(r)
    }

    /// Checks the rule against the series' first date; the message says what to change.
    pub fn check(&self, start: NaiveDate) -> Result<(), (&'static str, String)> {
        if !(1..=MAX_INTERVAL).contains(&self.interval) {
            return Err(("recurrence_interval", format!("must be 1 to {MAX_INTERVAL}")));
        }
        if self.freq == Freq::Weekly {
            if self.weekdays.is_empty() {
                return Err(("recurrence_days", "choose at least one day of the week".into()));
            }
            if !self.weekdays.contains(&start.weekday()) {
                return Err((
                    "recurrence_days",
                    format!("must include the start date's day ({})", day_code(start.weekday())),
                ));
            }
        }
        let limit = start.checked_add_months(Months::new(12 * MAX_YEARS)).unwrap_or(start);
        match self.end {
            End::Count(n) if !(1..=MAX_COUNT).contains(&n) => {
                Err(("recurrence_count", format!("must be 1 to {MAX_COUNT} occurrences")))
            }
            End::Until(d) if d < start => Err(("recurrence_until", "must not be before the start date".into())),
            End::Until(d) if d > limit => {
                Err(("recurrence_until", format!("must be at most {MAX_YEARS} years after the start")))
            }
            End::Count(_) if self.last_date(start) > limit => {
                Err(("recurrence_count", format!("the series must end at most {MAX_YEARS} years after the start")))
            }
            _ => Ok(()),
        }
    }

    /// The local dates of the series' occurrences in `[from, to]`, in order. `start` is the
    /// first occurrence's date (it matches the rule: `check` makes sure of that).
    pub fn dates_between(&self, start: NaiveDate, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        let from = from.max(start);
        let until = match self.end {
            End::Until(d) => d.min(to),
            End::Count(_) => to,
        };
        let count = match self.end {
            End::Count(n) => u64::from(n),
            End::Until(_) => u64::MAX,
        };
        if from > until {
            return out;
        }
        let interval = u64::from(self.interval.max(1));
        match self.freq {
            Freq::Daily => {
                let gap = (from - start).num_days().max(0) as u64;
                let mut k = gap.div_ceil(interval);
                while k < count {
                    let Some(d) = start.checked_add_days(Days::new(k * interval)) else { break };
                    if d > until {
                        break;
                    }
                    out.push(d);
                    k += 1;
                }
            }
            Freq::Weekly => {
                let mut days: Vec<u64> = self.weekdays.iter().map(|d| u64::from(d.num_days_from_monday())).collect();
                days.sort_unstable();
                days.dedup();
                if days.is_empty() {
                    return out;
                }
                let week0 = start - Days::new(u64::from(start.weekday().num_days_from_monday()));
                let before_start =
                    days.iter().filter(|&&d| d < u64::from(start.weekday().num_days_from_monday())).count();
                let per_week = days.len() as u64;
                let mut j = ((from - week0).num_days().max(0) as u64) / 7 / interval;
                'weeks: while let Some(ws) = week0.checked_add_days(Days::new(j * interval * 7)) {
                    if ws > until {
                        break;
                    }
                    for (pos, &d) in days.iter().enumerate() {
                        let n = (j * per_week + pos as u64).checked_sub(before_start as u64);
                        let Some(n) = n else { continue };
                        if n >= count {
                            break 'weeks;
                        }
                        let date = ws + Days::new(d);
                        if date > until {
                            break 'weeks;
                        }
                        if date >= from {
                            out.push(date);
                        }
                    }
                    j += 1;
                }
            }
            Freq::Monthly => {
                let (mut n, mut m) = (0u64, 0u32);
                while n < count {
                    let Some(first) =
                        start.with_day(1).and_then(|f| f.checked_add_months(Months::new(m * self.interval)))
                    else {
                        break;
                    };
                    if first > until {
                        break;
                    }
                    // A month without the day (the 31st in April) has no occurrence.
                    if let Some(d) = first.with_day(start.day()) {
                        if d > until {
                            break;
                        }
                        if d >= from {
                            out.push(d);
                        }
                        n += 1;
                    }
                    m += 1;
                }
            }
        }
        out
    }

    /// The date of the last occurrence.
    pub fn last_date(&self, start: NaiveDate) -> NaiveDate {
        let far = start.checked_add_months(Months::new(12 * (MAX_YEARS + 40))).unwrap_or(start);
        let to = match self.end {
            End::Until(d) => d,
            End::Count(_) => far,
        };
        self.dates_between(start, start, to).last().copied().unwrap_or(start)
    }
}

/// When a scheduled conference takes place: its first start, its duration, its zone and rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub starts_at: i64,
    pub duration_minutes: i64,
    pub tz: Tz,
    pub recurrence: Option<Recurrence>,
}

impl Schedule {
    /// From stored columns: first start, duration (60 min when unset), time zone name (UTC
    /// when unknown) and RRULE (a single meeting when absent or unreadable).
    pub fn stored(
        starts_at: Option<i64>,
        duration_minutes: Option<i64>,
        tz: &str,
        rrule: Option<&str>,
    ) -> Option<Schedule> {
        Some(Schedule {
            starts_at: starts_at?,
            duration_minutes: duration_minutes.unwrap_or(60),
            tz: tz.parse().unwrap_or(Tz::UTC),
            recurrence: rrule.and_then(|r| Recurrence::parse(r).ok()),
        })
    }

    pub fn duration_secs(&self) -> i64 {
        self.duration_minutes.max(1) * 60
    }

    /// The starts (UTC seconds) of the occurrences that start in `[from, to)`.
    pub fn starts_between(&self, from: i64, to: i64) -> Vec<i64> {
        let Some(r) = &self.recurrence else {
            return if self.starts_at >= from && self.starts_at < to { vec![self.starts_at] } else { Vec::new() };
        };
        let first = utc_to_local(self.tz, self.starts_at);
        let (lf, lt) = (utc_to_local(self.tz, from).date(), utc_to_local(self.tz, to).date());
        let (lf, lt) = (lf.pred_opt().unwrap_or(lf), lt.succ_opt().unwrap_or(lt));
        r.dates_between(first.date(), lf, lt)
            .into_iter()
            .map(|d| local_to_utc(self.tz, d.and_time(first.time())))
            .filter(|&s| s >= from && s < to)
            .collect()
    }

    /// The start of the occurrence under way at `t`, if one is.
    pub fn running_at(&self, t: i64) -> Option<i64> {
        self.starts_between(t - self.duration_secs() + 1, t + 1).last().copied()
    }

    /// The end of the last occurrence.
    pub fn series_end(&self) -> i64 {
        let last = match &self.recurrence {
            None => self.starts_at,
            Some(r) => {
                let first = utc_to_local(self.tz, self.starts_at);
                local_to_utc(self.tz, r.last_date(first.date()).and_time(first.time()))
            }
        };
        last + self.duration_secs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekly_on_days_with_a_count() {
        // Tuesday 2026-12-01; Tue and Thu, every week, 5 times.
        let r = Recurrence {
            freq: Freq::Weekly,
            interval: 1,
            weekdays: vec![Weekday::Tue, Weekday::Thu],
            end: End::Count(5),
        };
        assert!(r.check(d(2026, 12, 1)).is_ok());
        let all = r.dates_between(d(2026, 12, 1), d(2026, 1, 1), d(2027, 12, 31));
        assert_eq!(all, vec![d(2026, 12, 1), d(2026, 12, 3), d(2026, 12, 8), d(2026, 12, 10), d(2026, 12, 15)]);
        // A window in the middle gives the same dates as filtering the whole series.
        assert_eq!(r.dates_between(d(2026, 12, 1), d(2026, 12, 4), d(2026, 12, 9)), vec![d(2026, 12, 8)]);
        assert_eq!(r.last_date(d(2026, 12, 1)), d(2026, 12, 15));
        // Starting on a Thursday with Tuesdays too: the Tuesday before the start is not counted.
        let r2 = Recurrence { end: End::Count(3), ..r.clone() };
        assert_eq!(
            r2.dates_between(d(2026, 12, 3), d(2026, 1, 1), d(2027, 1, 1)),
            vec![d(2026, 12, 3), d(2026, 12, 8), d(2026, 12, 10)]
        );
        assert!(r.check(d(2026, 12, 2)).is_err(), "a Wednesday start is not one of the days");
    }

    #[test]
    fn daily_every_other_day_until_a_date_and_monthly_skips_short_months() {
        let r = Recurrence { freq: Freq::Daily, interval: 2, weekdays: vec![], end: End::Until(d(2026, 12, 9)) };
        assert_eq!(
            r.dates_between(d(2026, 12, 1), d(2026, 12, 4), d(2027, 1, 1)),
            vec![d(2026, 12, 5), d(2026, 12, 7), d(2026, 12, 9)]
        );
        let m = Recurrence { freq: Freq::Monthly, interval: 1, weekdays: vec![], end: End::Count(4) };
        assert_eq!(
            m.dates_between(d(2027, 1, 31), d(2027, 1, 1), d(2028, 1, 1)),
            vec![d(2027, 1, 31), d(2027, 3, 31), d(2027, 5, 31), d(2027, 7, 31)]
        );
    }

    #[test]
    fn rrule_round_trip_and_ics_until_in_utc() {
        let r = Recurrence {
            freq: Freq::Weekly,
            interval: 2,
            weekdays: vec![Weekday::Mon, Weekday::Fri],
            end: End::Until(d(2027, 1, 31)),
        };
        assert_eq!(r.to_rrule(), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;UNTIL=20270131");
        assert_eq!(Recurrence::parse(&r.to_rrule()).unwrap(), r);
        let tz: Tz = "Europe/Moscow".parse().unwrap();
        assert_eq!(r.ics_rrule(tz), "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;UNTIL=20270131T205959Z");
        assert!(Recurrence::parse("FREQ=DAILY;INTERVAL=1").is_err(), "endless series are not stored");
    }

    #[test]
    fn occurrences_keep_local_time_across_dst() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        // Fridays 10:00 Berlin from 2027-03-19, across the change of 2027-03-28.
        let start = local_to_utc(tz, d(2027, 3, 19).and_hms_opt(10, 0, 0).unwrap());
        let s = Schedule {
            starts_at: start,
            duration_minutes: 60,
            tz,
            recurrence: Some(Recurrence {
                freq: Freq::Weekly,
                interval: 1,
                weekdays: vec![Weekday::Fri],
                end: End::Count(3),
            }),
        };
        let starts = s.starts_between(start - 1, start + 30 * 86_400);
        let hours: Vec<u32> =
            starts.iter().map(|&t| utc_to_local(tz, t).time().format("%H").to_string().parse().unwrap()).collect();
        assert_eq!(hours, vec![10, 10, 10]);
        assert_eq!(starts[2] - starts[1], 7 * 86_400 - 3600);
        assert_eq!(s.running_at(starts[1] + 59 * 60), Some(starts[1]));
        assert_eq!(s.running_at(starts[1] + 60 * 60), None);
        assert_eq!(s.series_end(), starts[2] + 3600);
    }

    fn arb_rule() -> impl Strategy<Value = (Recurrence, NaiveDate)> {
        (0u8..3, 1u32..4, proptest::collection::vec(0u8..7, 1..4), 1u32..40, 0i64..2000).prop_map(
            |(f, interval, days, count, offset)| {
                let start = d(2026, 1, 1) + chrono::Duration::days(offset);
                let mut weekdays: Vec<Weekday> =
                    days.into_iter().map(|x| Weekday::try_from(x).unwrap()).chain([start.weekday()]).collect();
                weekdays.sort_by_key(|w| w.num_days_from_monday());
                weekdays.dedup();
                let freq = [Freq::Daily, Freq::Weekly, Freq::Monthly][f as usize];
                (Recurrence { freq, interval, weekdays, end: End::Count(count) }, start)
            },
        )
    }

    proptest! {
        /// Any window gives exactly the series' dates that fall in it; a count series has that
        /// many dates; dates are strictly increasing.
        #[test]
        fn windows_agree_with_the_whole_series((r, start) in arb_rule(), a in 0i64..900, len in 0i64..120) {
            let all = r.dates_between(start, start, d(2100, 1, 1));
            if let End::Count(n) = r.end { prop_assert_eq!(all.len(), n as usize); }
            prop_assert!(all.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(all.first().copied(), Some(start));
            let from = start + chrono::Duration::days(a - 30);
            let to = from + chrono::Duration::days(len);
            let expected: Vec<NaiveDate> = all.iter().copied().filter(|x| *x >= from && *x <= to).collect();
            prop_assert_eq!(r.dates_between(start, from, to), expected);
        }
    }
}
