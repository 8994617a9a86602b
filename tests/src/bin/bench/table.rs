//! The results: one row per metric, a sample per round for the direct path and for each path
//! compared with it (Tether, and peers when present), printed as a Markdown table whose figures
//! are per-round comparisons to the direct run of the same round: median and min–max.

use std::fmt::Write;

/// How a path's sample compares with the direct one of the same round.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// Throughput: path / direct (higher is better).
    Ratio,
    /// Latency: path − direct, the added time (lower is better).
    Added,
    /// No direct path (footprint, start-up): the path's own figure.
    Absolute,
    /// Each path's own figure, the direct path's too (CPU per request).
    Own,
}

pub struct Row {
    pub scenario: &'static str,
    pub metric: String,
    pub unit: &'static str,
    pub compare: Compare,
    pub direct: Vec<f64>,
    /// (path name, samples), in the order paths were measured.
    pub paths: Vec<(String, Vec<f64>)>,
}

impl Row {
    pub fn new(scenario: &'static str, metric: &str, unit: &'static str, compare: Compare) -> Row {
        Row {
            scenario,
            metric: metric.to_string(),
            unit,
            compare,
            direct: Vec::new(),
            paths: Vec::new(),
        }
    }

    /// Records one round's sample for `path` ("direct" for the direct path).
    pub fn push(&mut self, path: &str, value: f64) {
        if path == "direct" {
            return self.direct.push(value);
        }
        match self.paths.iter_mut().find(|(name, _)| name == path) {
            Some((_, samples)) => samples.push(value),
            None => self.paths.push((path.to_string(), vec![value])),
        }
    }

    /// Per-round comparisons of `samples` with the direct samples of the same rounds.
    fn compared(&self, samples: &[f64]) -> Vec<f64> {
        match self.compare {
            Compare::Absolute | Compare::Own => samples.to_vec(),
            Compare::Ratio => samples
                .iter()
                .zip(&self.direct)
                .map(|(p, d)| p / d)
                .collect(),
            Compare::Added => samples
                .iter()
                .zip(&self.direct)
                .map(|(p, d)| p - d)
                .collect(),
        }
    }
}

/// Median and min–max of `values`, or `None` when there are none.
pub fn spread(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    Some((median, sorted[0], sorted[n - 1]))
}

/// A number with as many digits as it deserves.
fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn cell(values: &[f64], suffix: &str) -> String {
    match spread(values) {
        None => "–".into(),
        Some((m, lo, hi)) if values.len() == 1 || lo == hi => format!("{}{suffix}", num(m)),
        Some((m, lo, hi)) => format!("**{}{suffix}** ({}–{})", num(m), num(lo), num(hi)),
    }
}

/// Like [`cell`], every number with its sign (time added, or saved).
fn cell_signed(values: &[f64], suffix: &str) -> String {
    let signed = |v: f64| {
        if v >= 0.0 {
            format!("+{}", num(v))
        } else {
            num(v)
        }
    };
    match spread(values) {
        None => "–".into(),
        Some((m, lo, hi)) if values.len() == 1 || lo == hi => format!("{}{suffix}", signed(m)),
        Some((m, lo, hi)) => format!(
            "**{}{suffix}** ({} – {})",
            signed(m),
            signed(lo),
            signed(hi)
        ),
    }
}

/// The Markdown table: a column for the direct path and, for each path, its comparison.
pub fn render(rows: &[Row]) -> String {
    let mut paths: Vec<&str> = Vec::new();
    for row in rows {
        for (name, _) in &row.paths {
            if !paths.contains(&name.as_str()) {
                paths.push(name);
            }
        }
    }
    let mut out = String::new();
    let _ = write!(out, "| scenario | metric | direct |");
    for p in &paths {
        let _ = write!(out, " {p} |");
    }
    let _ = write!(out, "\n|---|---|---|");
    for _ in &paths {
        let _ = write!(out, "---|");
    }
    out.push('\n');
    for row in rows {
        let unit = row.unit;
        let _ = write!(
            out,
            "| {} | {} | {} |",
            row.scenario,
            row.metric,
            match row.compare {
                Compare::Absolute => "".into(),
                _ => cell(&row.direct, &format!(" {unit}")),
            }
        );
        for p in &paths {
            let samples = row.paths.iter().find(|(n, _)| n == p).map(|(_, s)| s);
            let text = match samples {
                None => "".into(),
                Some(s) => {
                    let compared = row.compared(s);
                    match row.compare {
                        Compare::Ratio => format!("{} ({})", cell(&compared, "×"), cell(s, "")),
                        Compare::Added => format!(
                            "{} ({})",
                            cell_signed(&compared, &format!(" {unit}")),
                            cell(s, "")
                        ),
                        Compare::Absolute | Compare::Own => cell(&compared, &format!(" {unit}")),
                    }
                }
            };
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
    out
}

/// The machine's load average (1, 5, 15 minutes) before and after each scenario.
pub fn render_load(load: &[(&str, String, String)]) -> String {
    let mut out = String::from("| scenario | loadavg before | loadavg after |\n|---|---|---|\n");
    for (scenario, before, after) in load {
        let _ = writeln!(out, "| {scenario} | {before} | {after} |");
    }
    out
}

/// Every sample, one CSV line per round and path, for the record.
pub fn raw(rows: &[Row]) -> String {
    let mut out = String::from("scenario,metric,unit,round,path,value\n");
    for row in rows {
        let all = std::iter::once(("direct", &row.direct))
            .chain(row.paths.iter().map(|(n, s)| (n.as_str(), s)));
        for (path, samples) in all {
            for (i, v) in samples.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "{:?},{:?},{},{},{path},{v:.3}",
                    row.scenario,
                    row.metric,
                    row.unit,
                    i + 1
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_taken_per_round_then_summarised() {
        let mut row = Row::new("http", "rps", "req/s", Compare::Ratio);
        for (d, t) in [(100.0, 50.0), (200.0, 80.0), (100.0, 90.0)] {
            row.push("direct", d);
            row.push("tether", t);
        }
        let compared = row.compared(&row.paths[0].1);
        assert_eq!(spread(&compared), Some((0.5, 0.4, 0.9)));
        assert!(render(&[row]).contains("**0.500×** (0.400–0.900)"));
    }
}
