//! The few timestamps a run writes and reads: the results file's `started_at` and
//! `finished_at` (Python's `isoformat()` of a UTC time, as the official tool writes them),
//! the Hub record's `updated_at`, and the report page's reading of the first two. Written
//! here in a hundred lines because a date library would be the largest thing compiled for
//! three formats (civil dates from days by Howard Hinnant's algorithm).

use std::time::{SystemTime, UNIX_EPOCH};

/// A moment, as a count of microseconds since 1970-01-01T00:00:00Z, with the UTC offset
/// (in minutes) it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    micros: i64,
    offset_minutes: i32,
}

impl Timestamp {
    /// The current time, in UTC.
    pub fn now() -> Self {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            micros: i64::try_from(since.as_micros()).unwrap_or(i64::MAX),
            offset_minutes: 0,
        }
    }

    /// `2026-11-27T02:23:08.123456+00:00`: the form of the official results file's times.
    pub fn isoformat_micros(&self) -> String {
        let (date, micro) = self.local();
        format!("{date}.{micro:06}{}", self.offset_text())
    }

    /// `2026-11-27T02:23:08Z` (whole seconds, UTC written as `Z`).
    pub fn rfc3339_seconds(&self) -> String {
        let (date, _) = self.local();
        if self.offset_minutes == 0 {
            format!("{date}Z")
        } else {
            format!("{date}{}", self.offset_text())
        }
    }

    /// `2026-11-27 02:23:08 UTC`, or with its offset (`+05:30`) when not UTC: for people.
    pub fn readable(&self) -> String {
        let (date, _) = self.local();
        let date = date.replacen('T', " ", 1);
        if self.offset_minutes == 0 {
            format!("{date} UTC")
        } else {
            format!("{date} {}", self.offset_text())
        }
    }

    /// Seconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn seconds_since(&self, earlier: &Timestamp) -> f64 {
        (self.micros - earlier.micros) as f64 / 1e6
    }

    /// Reads RFC 3339 (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` or a space between
    /// date and time); `None` for anything else.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let digits = b.get(range)?;
            digits.iter().try_fold(0i64, |n, d| {
                d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
            })
        };
        let at = |i: usize, c: u8| b.get(i) == Some(&c);
        if !(at(4, b'-') && at(7, b'-') && at(13, b':') && at(16, b':')) {
            return None;
        }
        if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut i = 19;
        let mut micros_part = 0i64;
        if at(i, b'.') {
            let digits = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            let kept = digits.min(6);
            micros_part = num(i + 1..i + 1 + kept)? * 10i64.pow((6 - kept) as u32);
            i += 1 + digits;
        }
        let offset_minutes = match b.get(i) {
            Some(b'Z' | b'z') if b.len() == i + 1 => 0,
            Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && at(i + 3, b':') => {
                let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
                if h > 23 || m > 59 {
                    return None;
                }
                let minutes = (h * 60 + m) as i32;
                if *sign == b'-' { -minutes } else { minutes }
            }
            _ => return None,
        };
        let local_seconds =
            days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        let utc_seconds = local_seconds - i64::from(offset_minutes) * 60;
        Some(Self {
            micros: utc_seconds * 1_000_000 + micros_part,
            offset_minutes,
        })
    }

    /// `YYYY-MM-DDTHH:MM:SS` in the timestamp's own offset, and the microseconds.
    fn local(&self) -> (String, i64) {
        let micros = self.micros + i64::from(self.offset_minutes) * 60_000_000;
        let seconds = micros.div_euclid(1_000_000);
        let (days, of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        let text = format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        );
        (text, micros.rem_euclid(1_000_000))
    }

    /// `+00:00`, `+05:30`, `-08:00`.
    fn offset_text(&self) -> String {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let minutes = self.offset_minutes.abs();
        format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_round_trip_across_four_centuries() {
        for days in (-800_000..800_000).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
    }

    #[test]
    fn the_three_written_forms() {
        let t = Timestamp::parse_rfc3339("2024-02-29T23:59:58.0123Z").unwrap();
        assert_eq!(t.isoformat_micros(), "2024-02-29T23:59:58.012300+00:00");
        assert_eq!(t.rfc3339_seconds(), "2024-02-29T23:59:58Z");
        assert_eq!(t.readable(), "2024-02-29 23:59:58 UTC");
        let india = Timestamp::parse_rfc3339("2026-11-27T07:53:08+05:30").unwrap();
        assert_eq!(india.readable(), "2026-11-27 07:53:08 +05:30");
        assert_eq!(india.rfc3339_seconds(), "2026-11-27T07:53:08+05:30");
        let utc = Timestamp::parse_rfc3339("2026-11-27T02:23:08+00:00").unwrap();
        assert_eq!(india.seconds_since(&utc), 0.0);
        let west = Timestamp::parse_rfc3339("2026-11-26 18:23:09.5-08:00").unwrap();
        assert_eq!(west.seconds_since(&utc), 1.5);
    }

    #[test]
    fn now_is_written_as_the_official_tool_writes_it() {
        let text = Timestamp::now().isoformat_micros();
        assert_eq!(
            text.len(),
            "2026-11-27T02:23:08.123456+00:00".len(),
            "{text}"
        );
        assert!(text.ends_with("+00:00"));
        let back = Timestamp::parse_rfc3339(&text).unwrap();
        assert_eq!(back.isoformat_micros(), text);
    }

    #[test]
    fn anything_else_is_not_a_timestamp() {
        for text in [
            "",
            "T0",
            "2026-11-27",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-27T24:00:00Z",
            "2026-11-27T02:23:08",
            "2026-11-27T02:23:08.Z",
            "2026-11-27T02:23:08+0530",
            "2026-11-27T02:23:08Zjunk",
            "２026-11-27T02:23:08Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text), None, "{text}");
        }
    }
}
