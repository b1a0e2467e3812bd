//! Number and date formatting for pages: thousands separators, shares as
//! percentages, thousandths of a point as points, Unix times as UTC dates.
//! No clock is read here: dates come from the manifest.

/// A count with thousands separators: `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A signed count with thousands separators and an explicit sign for
/// differences: `-1234` → `−1,234`, `5` → `+5`, `0` → `0`.
pub fn signed_count(n: i128) -> String {
    let magnitude = count(u64::try_from(n.unsigned_abs()).unwrap_or(u64::MAX));
    match n.signum() {
        1 => format!("+{magnitude}"),
        -1 => format!("\u{2212}{magnitude}"),
        _ => magnitude,
    }
}

/// A share in [0, 1] as a percentage with a precision that keeps small
/// shares visible: `0.1234` → `12.3%`, `0.00042` → `0.042%`.
pub fn pct(share: f64) -> String {
    if !share.is_finite() {
        return "–".to_string();
    }
    let p = share * 100.0;
    if p == 0.0 {
        "0%".to_string()
    } else if p.abs() >= 10.0 {
        format!("{p:.1}%")
    } else if p.abs() >= 0.1 {
        format!("{p:.2}%")
    } else {
        format!("{p:.3}%")
    }
}

/// A signed change as a percentage: `-0.25` → `−25.0%`, `0.031` → `+3.10%`.
pub fn signed_pct(change: f64) -> String {
    if !change.is_finite() {
        return "–".to_string();
    }
    let text = pct(change.abs());
    if change > 0.0 {
        format!("+{text}")
    } else if change < 0.0 {
        format!("\u{2212}{text}")
    } else {
        text
    }
}

/// An optional share: `None` (nothing to divide) as a dash.
pub fn opt_pct(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_string(), pct)
}

/// `part / whole` as a share, `None` when `whole` is 0.
pub fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A score in points with one decimal and thousands separators:
/// `1004.25` → `1,004.3`; NaN (no adults) as a dash.
pub fn points(p: f64) -> String {
    if !p.is_finite() {
        return "–".to_string();
    }
    let tenths = (p * 10.0).round() as i64;
    let sign = if tenths < 0 { "\u{2212}" } else { "" };
    let a = tenths.unsigned_abs();
    format!("{sign}{}.{}", count(a / 10), a % 10)
}

/// Thousandths of a point as points: `1_004_300` → `1,004.3`.
pub fn milli(m: i64) -> String {
    points(m as f64 / 1000.0)
}

/// A signed difference in points: `+2.5`, `−0.3`.
pub fn signed_points(p: f64) -> String {
    if !p.is_finite() {
        return "–".to_string();
    }
    let text = points(p.abs());
    if (p * 10.0).round() > 0.0 {
        format!("+{text}")
    } else if (p * 10.0).round() < 0.0 {
        format!("\u{2212}{text}")
    } else {
        text
    }
}

/// A plain number for ratios and Gini: three significant decimals.
pub fn ratio(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.3}")
    } else {
        "–".to_string()
    }
}

/// Seconds since 1970 as a UTC date and time, `2026-11-27 11:17 UTC`.
pub fn utc(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, (secs % 3600) / 60)
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A duration in seconds, short: `0.4 s`, `95 s`, `12 min`, `3.5 h`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        "–".to_string()
    } else if seconds < 10.0 {
        format!("{seconds:.1} s")
    } else if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

/// A name from a scenario (`high_speed_rail`) for reading: `high speed rail`.
pub fn words(name: &str) -> String {
    name.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_shares() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(signed_count(-1234), "\u{2212}1,234");
        assert_eq!(signed_count(5), "+5");
        assert_eq!(pct(0.1234), "12.3%");
        assert_eq!(pct(0.0123), "1.23%");
        assert_eq!(pct(0.00042), "0.042%");
        assert_eq!(opt_pct(None), "–");
    }

    #[test]
    fn scores() {
        assert_eq!(points(1004.25), "1,004.3");
        assert_eq!(points(f64::NAN), "–");
        assert_eq!(milli(-2500), "\u{2212}2.5");
        assert_eq!(signed_points(0.04), "0.0");
        assert_eq!(signed_points(-3.0), "\u{2212}3.0");
    }

    #[test]
    fn dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
    }
}
