//! The chart of the participants' entries, drawn here as SVG (no script, readable without one):
//! how many had been added to the list, and how many had joined, over the interval. Each
//! addition and each first join is a point on its step line; the axes carry dates and counts,
//! and a legend names the two lines in the reader's language.

use crate::i18n::{Lang, tr};
use crate::store::Entry;
use chrono::TimeZone;
use chrono_tz::Tz;
use maud::{Markup, html};

const W: f64 = 720.0;
const H: f64 = 300.0;
/// Room for the axes' labels (left, right, top, bottom).
const PAD: (f64, f64, f64, f64) = (48.0, 16.0, 32.0, 40.0);

/// One line: the times of its points, in order.
struct Series {
    class: &'static str,
    label: &'static str,
    times: Vec<i64>,
}

pub fn chart(entries: &[&Entry], span: (i64, i64), lang: Lang, tz: Tz) -> Markup {
    let mut added: Vec<i64> = entries.iter().map(|e| e.added_at.saturating_mul(1000)).collect();
    let mut joined: Vec<i64> = entries.iter().filter_map(|e| e.first_joined_ms).collect();
    added.sort_unstable();
    joined.sort_unstable();
    let series = [
        Series { class: "added", label: "an.chart.added", times: added },
        Series { class: "joined", label: "an.chart.joined", times: joined },
    ];
    // The x axis covers the interval and every point drawn.
    let lo = series.iter().flat_map(|s| s.times.first()).copied().chain([span.0]).filter(|t| *t > i64::MIN).min();
    let hi = series.iter().flat_map(|s| s.times.last()).copied().chain([span.1]).filter(|t| *t < i64::MAX).max();
    let (lo, hi) = match (lo, hi) {
        (Some(l), Some(h)) if h - l >= 60_000 => (l, h),
        (Some(l), _) => (l, l + 3_600_000),
        _ => (0, 3_600_000),
    };
    let max = series.iter().map(|s| s.times.len()).max().unwrap_or(0).max(1);
    let x = |t: i64| PAD.0 + (t - lo) as f64 / (hi - lo) as f64 * (W - PAD.0 - PAD.1);
    let y = |n: usize| H - PAD.3 - n as f64 / max as f64 * (H - PAD.2 - PAD.3);
    let y_ticks = ticks(max);
    let x_ticks: Vec<i64> = (0..=4).map(|i| lo + (hi - lo) / 4 * i).collect();
    let same_day = tz.timestamp_millis_opt(lo).single().map(|t| t.date_naive())
        == tz.timestamp_millis_opt(hi).single().map(|t| t.date_naive());
    let label = |t: i64| {
        let fmt = if same_day { "%H:%M" } else { "%Y-%m-%d" };
        tz.timestamp_millis_opt(t).single().map(|d| d.format(fmt).to_string()).unwrap_or_default()
    };
    html! {
        svg #entries-chart xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (W) " " (H)} role="img"
            aria-labelledby="entries-chart-title" {
            title #entries-chart-title { (tr(lang, "an.chart.title")) }
            // Axes with their ticks and labels.
            line.axis x1=(PAD.0) y1=(H - PAD.3) x2=(W - PAD.1) y2=(H - PAD.3) {}
            line.axis x1=(PAD.0) y1=(PAD.2) x2=(PAD.0) y2=(H - PAD.3) {}
            @for n in &y_ticks {
                line.grid x1=(PAD.0) y1=(y(*n)) x2=(W - PAD.1) y2=(y(*n)) {}
                text.tick x=(PAD.0 - 6.0) y=(y(*n) + 4.0) text-anchor="end" { (n) }
            }
            @for t in &x_ticks {
                text.tick x=(x(*t)) y=(H - PAD.3 + 16.0) text-anchor="middle" { (label(*t)) }
            }
            text.axis-title x=((W + PAD.0) / 2.0) y=(H - 6.0) text-anchor="middle" {
                (tr(lang, "an.chart.time")) " (" (tz.name()) ")"
            }
            text.axis-title x="12" y=(PAD.2 - 12.0) { (tr(lang, "an.chart.count")) }
            @for s in &series {
                @let steps = step_path(&s.times, &x, &y, x(hi));
                path class={"line " (s.class)} d=(steps) fill="none" {}
                g class={"points " (s.class)} {
                    @for (i, t) in s.times.iter().enumerate() {
                        circle class={"pt " (s.class)} cx=(x(*t)) cy=(y(i + 1)) r="3.5" {
                            title { (label(*t)) ": " (i + 1) }
                        }
                    }
                }
            }
            // The legend.
            @for (i, s) in series.iter().enumerate() {
                @let lx = W - PAD.1 - 440.0 + i as f64 * 220.0;
                g class={"legend " (s.class)} {
                    line class={"line " (s.class)} x1=(lx) y1="12" x2=(lx + 20.0) y2="12" {}
                    text x=(lx + 26.0) y="16" { (tr(lang, s.label)) " (" (s.times.len()) ")" }
                }
            }
        }
    }
}

/// A step line through a cumulative count: flat until each point, up by one at it.
fn step_path(times: &[i64], x: &impl Fn(i64) -> f64, y: &impl Fn(usize) -> f64, end: f64) -> String {
    let Some(first) = times.first() else { return String::new() };
    let mut d = format!("M{:.1},{:.1}", x(*first), y(0));
    for (i, t) in times.iter().enumerate() {
        d.push_str(&format!(" H{:.1} V{:.1}", x(*t), y(i + 1)));
    }
    d.push_str(&format!(" H{end:.1}"));
    d
}

/// Round counts for the y axis: at most about five, always including `max`'s ceiling.
fn ticks(max: usize) -> Vec<usize> {
    let step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000].into_iter().find(|s| max / s <= 5);
    let step = step.unwrap_or(max.div_ceil(5).max(1));
    (0..=max.div_ceil(step)).map(|i| i * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EntryKind;

    #[test]
    fn every_addition_and_first_join_is_a_point() {
        let e = |added: i64, joined: Option<i64>| Entry {
            kind: EntryKind::User,
            id: added,
            name: "x".into(),
            login: String::new(),
            email: String::new(),
            role: None,
            added_at: added,
            first_joined_ms: joined,
            last_joined_ms: joined,
            joins: 0,
            details: Vec::new(),
        };
        let rows = [e(100, Some(150_000)), e(200, None), e(300, Some(400_000))];
        let refs: Vec<&Entry> = rows.iter().collect();
        let svg = chart(&refs, (0, 500_000), Lang::Ru, chrono_tz::UTC).into_string();
        assert_eq!(svg.matches("<circle class=\"pt added\"").count(), 3);
        assert_eq!(svg.matches("<circle class=\"pt joined\"").count(), 2);
        assert!(svg.contains("Добавлены в список (3)"), "{svg}");
        // Empty: axes and legend, no points, no panic.
        let svg = chart(&[], (i64::MIN, i64::MAX), Lang::En, chrono_tz::UTC).into_string();
        assert!(!svg.contains("<circle"));
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(1), [0, 1]);
        assert_eq!(ticks(7), [0, 2, 4, 6, 8]);
        assert_eq!(ticks(1000), [0, 200, 400, 600, 800, 1000]);
    }
}
