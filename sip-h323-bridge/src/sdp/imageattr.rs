//! Image attributes (RFC 6236, `a=imageattr:PT send [x=..,y=..] recv [x=..,y=..]`): the picture
//! sizes an endpoint sends and takes for a video payload type. Tessera reads the peer's, answers
//! with the largest size the peer sends that fits its own picture (a window is never larger), and
//! offers to take any size up to its picture. Aspect ratios and preferences (`sar`, `par`, `q`)
//! are read past and not used. No I/O.

use std::fmt::Write as _;

/// Sets read per direction; more are ignored.
pub const MAX_SETS: usize = 16;
/// Values read in one `[a,b,c]` list; more are ignored.
pub const MAX_VALUES: usize = 32;
/// The largest width or height taken (RFC 6236 allows five digits).
pub const MAX_PIXELS: u32 = 65_535;

/// The values one of `x` and `y` may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values {
    /// `[min:max]` or `[min:step:max]`.
    Range { min: u32, step: u32, max: u32 },
    /// `640` or `[320,640,1280]`.
    List(Vec<u32>),
}

impl Values {
    fn parse(v: &str) -> Option<Values> {
        let num = |s: &str| s.parse::<u32>().ok().filter(|n| (1..=MAX_PIXELS).contains(n));
        let Some(inner) = v.strip_prefix('[').and_then(|v| v.strip_suffix(']')) else {
            return num(v).map(|n| Values::List(vec![n]));
        };
        if inner.contains(':') {
            let p: Vec<&str> = inner.split(':').collect();
            let (min, step, max) = match p[..] {
                [a, b] => (num(a)?, 1, num(b)?),
                [a, s, b] => (num(a)?, num(s)?, num(b)?),
                _ => return None,
            };
            return (min <= max).then_some(Values::Range { min, step, max });
        }
        let list: Option<Vec<u32>> = inner.split(',').take(MAX_VALUES).map(num).collect();
        list.filter(|l| !l.is_empty()).map(Values::List)
    }

    /// The largest value no more than `limit`.
    pub fn largest_at_most(&self, limit: u32) -> Option<u32> {
        match self {
            Values::Range { min, step, max } => {
                let top = (*max).min(limit);
                (top >= *min).then(|| min + (top - min) / step * step)
            }
            Values::List(l) => l.iter().copied().filter(|v| *v <= limit).max(),
        }
    }

    pub fn contains(&self, v: u32) -> bool {
        match self {
            Values::Range { min, step, max } => (*min..=*max).contains(&v) && (v - min).is_multiple_of(*step),
            Values::List(l) => l.contains(&v),
        }
    }
}

/// One `[x=..,y=..]` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Set {
    pub x: Values,
    pub y: Values,
}

impl Set {
    fn parse(s: &str) -> Option<Set> {
        let inner = s.strip_prefix('[')?.strip_suffix(']')?;
        let (mut x, mut y) = (None, None);
        let pairs: Option<Vec<(&str, &str)>> = top_level(inner, ',').into_iter().map(|kv| kv.split_once('=')).collect();
        for (key, value) in pairs? {
            match key {
                "x" => x = Some(Values::parse(value)?),
                "y" => y = Some(Values::parse(value)?),
                // sar, par, q: well formed or not, not used.
                _ => {}
            }
        }
        Some(Set { x: x?, y: y? })
    }
}

/// What one direction allows: any size (`*`) or the sizes of its sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sizes {
    Any,
    Sets(Vec<Set>),
}

impl Sizes {
    /// The largest size (by area) allowed no wider than `w` and no taller than `h`: `(w, h)`
    /// itself for [`Sizes::Any`].
    pub fn largest_within(&self, w: u32, h: u32) -> Option<(u32, u32)> {
        match self {
            Sizes::Any => Some((w, h)),
            Sizes::Sets(sets) => sets
                .iter()
                .filter_map(|s| Some((s.x.largest_at_most(w)?, s.y.largest_at_most(h)?)))
                .max_by_key(|(x, y)| u64::from(*x) * u64::from(*y)),
        }
    }

    pub fn allows(&self, w: u32, h: u32) -> bool {
        match self {
            Sizes::Any => true,
            Sizes::Sets(sets) => sets.iter().any(|s| s.x.contains(w) && s.y.contains(h)),
        }
    }
}

/// One `a=imageattr` line: its payload type (`None` for `*`) and each direction it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageAttr {
    pub pt: Option<u8>,
    /// What the line's author sends.
    pub send: Option<Sizes>,
    /// What the line's author takes.
    pub recv: Option<Sizes>,
}

/// Splits `s` at `sep` outside brackets.
fn top_level(s: &str, sep: char) -> Vec<&str> {
    let (mut depth, mut start, mut parts) = (0i32, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if c == sep && depth == 0 => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Reads the value of an `a=imageattr:` line; `None` when it is not well formed (the line is
/// then ignored, as an endpoint ignores an attribute it cannot use).
pub fn parse(arg: &str) -> Option<ImageAttr> {
    // Whitespace separates the tokens; the grammar has none inside a set, but tolerate it.
    let mut tokens: Vec<String> = Vec::new();
    let mut depth = 0i32;
    for word in arg.split_ascii_whitespace() {
        match tokens.last_mut() {
            Some(t) if depth > 0 => t.push_str(word),
            _ => tokens.push(word.to_string()),
        }
        depth += word.matches('[').count() as i32 - word.matches(']').count() as i32;
        if !(0..=2).contains(&depth) {
            return None;
        }
    }
    let mut it = tokens.iter().map(String::as_str);
    let pt = match it.next()? {
        "*" => None,
        p => Some(p.parse::<u8>().ok().filter(|p| *p < 128)?),
    };
    // Each direction at most once, with `*` or at least one set.
    let (mut send, mut recv): (Option<Sizes>, Option<Sizes>) = (None, None);
    let mut current: Option<&mut Option<Sizes>> = None;
    for t in it {
        match t {
            "send" | "recv" => {
                let d = if t == "send" { &mut send } else { &mut recv };
                if d.is_some() {
                    return None;
                }
                *d = Some(Sizes::Sets(Vec::new()));
                current = Some(d);
            }
            _ => match current.as_deref_mut()? {
                Some(Sizes::Sets(sets)) if t == "*" && sets.is_empty() => *current.as_deref_mut()? = Some(Sizes::Any),
                Some(Sizes::Sets(sets)) if t != "*" => {
                    let set = Set::parse(t)?;
                    if sets.len() < MAX_SETS {
                        sets.push(set);
                    }
                }
                _ => return None,
            },
        }
    }
    let empty = [&send, &recv].iter().any(|d| matches!(d, Some(Sizes::Sets(s)) if s.is_empty()));
    (!empty && (send.is_some() || recv.is_some())).then_some(ImageAttr { pt, send, recv })
}

/// `[x=W,y=H]`.
fn exact(out: &mut String, (w, h): (u32, u32)) {
    let _ = write!(out, "[x={w},y={h}]");
}

/// Tessera's offer, for every payload type: it sends its picture, `picture`, and takes any size
/// up to it.
pub fn offer_line(picture: (u32, u32)) -> String {
    let (w, h) = picture;
    format!("a=imageattr:* send [x={w},y={h}] recv [x=[16:{w}],y=[16:{h}]]\r\n")
}

/// Tessera's answer to the peer's `offered` line for payload type `pt`, Tessera's picture being
/// `picture`: it takes the largest size the peer sends that fits the picture, and sends its
/// picture if the peer takes that size. `None` when neither can be said (the line is left out
/// of the answer: the sizes stay whatever the codec's level allows).
pub fn answer_line(offered: &ImageAttr, pt: u8, picture: (u32, u32)) -> Option<String> {
    let recv = offered.send.as_ref().and_then(|s| s.largest_within(picture.0, picture.1));
    let send = offered.recv.as_ref().is_some_and(|r| r.allows(picture.0, picture.1)).then_some(picture);
    if recv.is_none() && send.is_none() {
        return None;
    }
    let mut out = format!("a=imageattr:{pt}");
    if let Some(s) = send {
        out.push_str(" send ");
        exact(&mut out, s);
    }
    if let Some(r) = recv {
        out.push_str(" recv ");
        exact(&mut out, r);
    }
    out.push_str("\r\n");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_examples_are_read() {
        let a = parse("97 send [x=800,y=640,sar=1.1,q=0.6] [x=480,y=320] recv [x=330,y=250]").unwrap();
        assert_eq!(a.pt, Some(97));
        let Some(Sizes::Sets(send)) = &a.send else { panic!() };
        assert_eq!(send.len(), 2);
        assert_eq!(send[0].x, Values::List(vec![800]));
        assert_eq!(a.recv.as_ref().unwrap().largest_within(1280, 720), Some((330, 250)));
        let r = parse("97 recv [x=[480:16:800],y=[320:16:640],par=[1.2-1.3]] send [x=[320,640,1280],y=[240,480,720]]")
            .unwrap();
        assert_eq!(r.recv.as_ref().unwrap().largest_within(640, 480), Some((640, 480)));
        assert_eq!(r.recv.as_ref().unwrap().largest_within(700, 700), Some((688, 640)));
        assert_eq!(r.send.as_ref().unwrap().largest_within(1279, 719), Some((640, 480)));
        let any = parse("* recv *").unwrap();
        assert_eq!((any.pt, any.recv, any.send), (None, Some(Sizes::Any), None));
    }

    #[test]
    fn sizes_are_chosen_within_the_picture() {
        let a = parse("96 send [x=1920,y=1080] [x=1280,y=720] [x=640,y=360] recv [x=[320:1920],y=[180:1080]]").unwrap();
        assert_eq!(
            answer_line(&a, 96, (1280, 720)).unwrap(),
            "a=imageattr:96 send [x=1280,y=720] recv [x=1280,y=720]\r\n"
        );
        assert_eq!(
            answer_line(&a, 96, (640, 360)).unwrap(),
            "a=imageattr:96 send [x=640,y=360] recv [x=640,y=360]\r\n"
        );
        // Only larger than the picture sent, and the picture not taken: nothing to say.
        let big = parse("96 send [x=1920,y=1080] recv [x=1920,y=1080]").unwrap();
        assert_eq!(answer_line(&big, 96, (1280, 720)), None);
        // Tessera's own offer reads back as taking anything up to its picture.
        let ours = offer_line((1280, 720));
        let back = parse(ours.trim_end().strip_prefix("a=imageattr:").unwrap()).unwrap();
        assert_eq!(back.recv.as_ref().unwrap().largest_within(4000, 4000), Some((1280, 720)));
        assert!(back.send.as_ref().unwrap().allows(1280, 720));
    }

    #[test]
    fn malformed_lines_are_ignored() {
        for bad in [
            "",
            "96",
            "96 send",
            "96 send []",
            "96 send [x=1]",
            "96 send [x=0,y=1]",
            "96 send [x=5:1,y=1]",
            "96 send [x=[9:1],y=1]",
            "96 send [x=[1:0:9],y=1]",
            "96 send [x=[],y=1]",
            "200 send *",
            "96 [x=1,y=1]",
            "96 send [[[x=1,y=1]]]",
            "96 send [x=1,y=1",
            "96 send * [x=1,y=1]",
            "96 sideways [x=1,y=1]",
            "96 send [x=99999999999,y=1]",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        // A step of zero would divide by zero; a range's values are within it.
        assert_eq!(Values::parse("[1:0:5]"), None);
        assert!(Values::parse("[16:16:64]").unwrap().contains(48));
        assert!(!Values::parse("[16:16:64]").unwrap().contains(50));
    }
}
