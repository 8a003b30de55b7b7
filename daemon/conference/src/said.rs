//! What the core tells a person when it refuses a request, without choosing a language: a key of
//! the interface's catalogue (`web/locales/*/errors.ftl`) and its arguments, or text from a
//! component that has no catalogue (a layout's own check). The web layer writes it in the
//! reader's language; logs and tests read the key.

/// A message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    Key(&'static str, Vec<(&'static str, SaidArg)>),
    Text(String),
}

/// An argument of a [`Said`]: numbers choose plural forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaidArg {
    Num(i64),
    Str(String),
}

impl From<i64> for SaidArg {
    fn from(n: i64) -> SaidArg {
        SaidArg::Num(n)
    }
}

impl From<usize> for SaidArg {
    fn from(n: usize) -> SaidArg {
        SaidArg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<u64> for SaidArg {
    fn from(n: u64) -> SaidArg {
        SaidArg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<u32> for SaidArg {
    fn from(n: u32) -> SaidArg {
        SaidArg::Num(i64::from(n))
    }
}

impl From<String> for SaidArg {
    fn from(s: String) -> SaidArg {
        SaidArg::Str(s)
    }
}

impl From<&str> for SaidArg {
    fn from(s: &str) -> SaidArg {
        SaidArg::Str(s.to_string())
    }
}

impl std::fmt::Display for Said {
    /// The key and its arguments, for logs: `err.podium.full(max=2)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Said::Text(t) => f.write_str(t),
            Said::Key(k, args) => {
                f.write_str(k)?;
                if !args.is_empty() {
                    let shown: Vec<String> = args
                        .iter()
                        .map(|(n, v)| match v {
                            SaidArg::Num(x) => format!("{n}={x}"),
                            SaidArg::Str(s) => format!("{n}={s}"),
                        })
                        .collect();
                    write!(f, "({})", shown.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

/// `said!("err.podium.full", max = 2)`.
#[macro_export]
macro_rules! said {
    ($key:literal) => {
        $crate::said::Said::Key($key, Vec::new())
    };
    ($key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::said::Said::Key($key, vec![$((stringify!($name), $crate::said::SaidArg::from($value))),+])
    };
}
