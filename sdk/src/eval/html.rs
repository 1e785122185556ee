//! The evaluation report as one self-contained HTML page: inline CSS, plots as inline SVG drawn
//! with `plotters` (no script, no font file, no network), tables of the numbers behind them.
//! The same report and records always give the same bytes (no timestamp).

use std::fmt::Write as _;

use plotters::prelude::*;

use super::{CurvePoint, EvalComparison, EvalReport, LabelMetrics};

/// Rows of the per-label table (the JSON report has every label).
const LABEL_ROWS: usize = 500;
/// Bars of the per-label F1 plot.
const F1_BARS: usize = 40;
/// Curves of the per-label precision–recall plot.
const LABEL_CURVES: usize = 8;
/// Rows of the gains / losses / failed-image tables.
const LIST_ROWS: usize = 50;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#1d1d1f;padding:0 1rem}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}\
.sub{color:#666;margin-top:0}.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{border:1px solid #ddd;border-radius:8px;padding:.6rem .9rem;min-width:8.5rem}\
.card b{display:block;font-size:1.4rem}.card span{color:#666;font-size:.85rem}.up{color:#0a7d32}.down{color:#b3261e}\
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border-bottom:1px solid #eee;padding:.25rem .6rem;text-align:right}\
td:first-child,th:first-child{text-align:left}th{background:#f6f6f6}.plots{display:flex;flex-wrap:wrap;gap:1rem}.note{color:#666;font-size:.85rem}";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |v| format!("{:.1}%", v * 100.0))
}

fn num(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |v| format!("{v:.3}"))
}

fn delta(old: Option<f64>, new: Option<f64>) -> String {
    match (old, new) {
        (Some(a), Some(b)) => {
            let d = (b - a) * 100.0;
            let class = if d > 0.05 {
                "up"
            } else if d < -0.05 {
                "down"
            } else {
                ""
            };
            format!("<span class=\"{class}\">{d:+.1} pt</span>")
        }
        _ => String::new(),
    }
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// A precision–recall plot of named curves, with optional operating points (recall, precision).
fn pr_plot(title: &str, curves: &[(String, &[CurvePoint])], points: &[(String, f64, f64)]) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (520, 400)).into_drawing_area();
        let draw = || -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption(title, ("sans-serif", 17))
                .margin(12)
                .x_label_area_size(38)
                .y_label_area_size(48)
                .build_cartesian_2d(0f64..1.001f64, 0f64..1.001f64)?;
            chart.configure_mesh().x_desc("recall").y_desc("precision").light_line_style(WHITE.mix(0.0)).draw()?;
            for (i, (name, curve)) in curves.iter().enumerate() {
                let colour = PALETTE[i % PALETTE.len()];
                // Step from (0, first precision) so that the curve starts at the left edge.
                let line: Vec<(f64, f64)> = curve.iter().map(|p| (p.recall, p.precision)).collect();
                chart
                    .draw_series(LineSeries::new(line, colour.stroke_width(2)))?
                    .label(name.as_str())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)));
            }
            for (i, (name, r, p)) in points.iter().enumerate() {
                let colour = PALETTE[i % PALETTE.len()];
                chart
                    .draw_series(std::iter::once(Circle::new((*r, *p), 5, colour.filled())))?
                    .label(name.as_str())
                    .legend(move |(x, y)| Circle::new((x + 9, y), 4, colour.filled()));
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .draw()?;
            root.present()?;
            Ok(())
        };
        if let Err(e) = draw() {
            return format!("<p class=\"note\">plot failed: {}</p>", esc(&e.to_string()));
        }
    }
    svg
}

/// Horizontal bars of the labels' F1 (worst first); `old` adds the previous pack's as markers.
/// A label's F1 in another report, by id.
type F1Of<'a> = &'a dyn Fn(&str) -> Option<f64>;

fn f1_plot(labels: &[&LabelMetrics], old: Option<F1Of<'_>>) -> String {
    let n = labels.len();
    let height = (70 + 20 * n).max(160) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (520, height)).into_drawing_area();
        let draw = || -> Result<(), Box<dyn std::error::Error + '_>> {
            root.fill(&WHITE)?;
            let names: Vec<String> = labels.iter().map(|l| l.id.clone()).collect();
            let mut chart = ChartBuilder::on(&root)
                .caption("F1 per label (worst first)", ("sans-serif", 17))
                .margin(12)
                .x_label_area_size(30)
                .y_label_area_size(150)
                .build_cartesian_2d(0f64..1.001f64, 0f64..n as f64)?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(WHITE.mix(0.0))
                .y_labels(n.max(1))
                .y_label_formatter(&|y| {
                    let i = y.floor() as usize;
                    if (y - y.floor()).abs() < 1e-9 && i < n {
                        names[n - 1 - i].clone()
                    } else {
                        String::new()
                    }
                })
                .x_desc("F1")
                .draw()?;
            chart.draw_series(labels.iter().enumerate().map(|(i, l)| {
                let y = (n - 1 - i) as f64;
                Rectangle::new([(0.0, y + 0.15), (l.prf.f1.unwrap_or(0.0), y + 0.85)], PALETTE[0].filled())
            }))?;
            if let Some(old) = old {
                chart.draw_series(labels.iter().enumerate().filter_map(|(i, l)| {
                    let y = (n - 1 - i) as f64 + 0.5;
                    old(&l.id).map(|f| Circle::new((f, y), 3, BLACK.filled()))
                }))?;
            }
            root.present()?;
            Ok(())
        };
        if let Err(e) = draw() {
            return format!("<p class=\"note\">plot failed: {}</p>", esc(&e.to_string()));
        }
    }
    svg
}

fn card(out: &mut String, value: &str, what: &str) {
    let _ = write!(out, "<div class=\"card\"><b>{value}</b><span>{}</span></div>", esc(what));
}

fn headline(out: &mut String, r: &EvalReport, old: Option<&EvalReport>) {
    let d = |f: fn(&EvalReport) -> Option<f64>| old.map(|o| delta(f(o), f(r))).unwrap_or_default();
    out.push_str("<div class=\"cards\">");
    card(out, &format!("{} {}", pct(r.top1_accuracy), d(|r| r.top1_accuracy)), "top-1 accuracy");
    card(out, &format!("{} {}", pct(r.top5_accuracy), d(|r| r.top5_accuracy)), "top-5 accuracy");
    card(out, &format!("{} {}", pct(r.micro.precision), d(|r| r.micro.precision)), "precision (all labels given)");
    card(out, &format!("{} {}", pct(r.micro.recall), d(|r| r.micro.recall)), "recall (all true labels)");
    card(out, &format!("{} {}", num(r.micro.f1), d(|r| r.micro.f1)), "micro F1");
    card(out, &format!("{} {}", num(r.macro_f1), d(|r| r.macro_f1)), "macro F1");
    card(
        out,
        &format!("{} {}", num(r.mean_average_precision), d(|r| r.mean_average_precision)),
        "mean average precision",
    );
    card(
        out,
        &format!("{} {}", num(r.expected_calibration_error), d(|r| r.expected_calibration_error)),
        "calibration error of the best label's probability",
    );
    card(out, &r.nothing_recognised.to_string(), "images given no label");
    card(out, &r.failed.len().to_string(), "images that failed");
    out.push_str("</div>");
}

fn label_table(out: &mut String, labels: &[&LabelMetrics], total: usize) {
    out.push_str(
        "<table><tr><th>label</th><th>images</th><th>given</th><th>precision</th><th>recall</th><th>F1</th><th>AP</th><th>threshold</th><th>calibrated</th></tr>",
    );
    for l in labels.iter().take(LABEL_ROWS) {
        let _ = write!(
            out,
            "<tr><td>{} <span class=\"note\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&l.id),
            esc(&l.name),
            l.support,
            l.predicted,
            pct(l.prf.precision),
            pct(l.prf.recall),
            num(l.prf.f1),
            num(l.average_precision),
            l.min_score.map_or_else(|| "–".into(), |m| format!("{m:.4}")),
            if l.calibrated { "yes" } else { "" }
        );
    }
    out.push_str("</table>");
    if total > LABEL_ROWS {
        let _ = write!(out, "<p class=\"note\">{LABEL_ROWS} of {total} labels shown (worst F1 first); the JSON report has them all.</p>");
    }
}

/// Labels with images, worst F1 first (then fewest images, then id).
fn worst_first(r: &EvalReport) -> Vec<&LabelMetrics> {
    let mut v: Vec<&LabelMetrics> = r.labels.iter().filter(|l| l.support > 0 || l.predicted > 0).collect();
    v.sort_by(|a, b| {
        a.prf
            .f1
            .unwrap_or(0.0)
            .total_cmp(&b.prf.f1.unwrap_or(0.0))
            .then(b.support.cmp(&a.support))
            .then_with(|| a.id.cmp(&b.id))
    });
    v
}

fn body(out: &mut String, r: &EvalReport, old: Option<&EvalReport>) {
    plots(out, r, old);
    tables(out, r);
}

fn plots(out: &mut String, r: &EvalReport, old: Option<&EvalReport>) {
    let worst = worst_first(r);
    out.push_str("<div class=\"plots\">");
    let mut curves =
        vec![(format!("{} {} (one global threshold)", r.pack.name, r.pack.version), r.micro_curve.as_slice())];
    let mut points = vec![(
        format!("{} {}: at its thresholds", r.pack.name, r.pack.version),
        r.micro.recall.unwrap_or(0.0),
        r.micro.precision.unwrap_or(0.0),
    )];
    if let Some(o) = old {
        curves.push((format!("{} {} (old)", o.pack.name, o.pack.version), o.micro_curve.as_slice()));
        points.push((
            format!("{} {} (old): at its thresholds", o.pack.name, o.pack.version),
            o.micro.recall.unwrap_or(0.0),
            o.micro.precision.unwrap_or(0.0),
        ));
    }
    out.push_str(&pr_plot("Precision–recall, all labels", &curves, &points));
    let mut by_ap: Vec<&LabelMetrics> = r.labels.iter().filter(|l| l.support > 0).collect();
    by_ap.sort_by(|a, b| {
        a.average_precision.unwrap_or(0.0).total_cmp(&b.average_precision.unwrap_or(0.0)).then_with(|| a.id.cmp(&b.id))
    });
    let label_curves: Vec<(String, &[CurvePoint])> =
        by_ap.iter().take(LABEL_CURVES).map(|l| (l.id.clone(), l.curve.as_slice())).collect();
    out.push_str(&pr_plot("Precision–recall, lowest-AP labels", &label_curves, &[]));
    let bars: Vec<&LabelMetrics> = worst.iter().take(F1_BARS).copied().collect();
    let old_f1 = old.map(|o| move |id: &str| o.labels.iter().find(|l| l.id == id).and_then(|l| l.prf.f1));
    match &old_f1 {
        Some(f) => out.push_str(&f1_plot(&bars, Some(f as F1Of<'_>))),
        None => out.push_str(&f1_plot(&bars, None)),
    }
    out.push_str("</div>");
    if old.is_some() {
        out.push_str("<p class=\"note\">Dots on the F1 bars: the old pack's F1.</p>");
    }
}

fn tables(out: &mut String, r: &EvalReport) {
    let worst = worst_first(r);

    out.push_str("<h2>Most confused</h2>");
    if r.confusions.is_empty() {
        out.push_str("<p>No label was given to an image showing another.</p>");
    } else {
        out.push_str("<table><tr><th>true label</th><th>given instead</th><th>images</th></tr>");
        for c in &r.confusions {
            let _ =
                write!(out, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", esc(&c.truth), esc(&c.predicted), c.count);
        }
        out.push_str("</table>");
    }
    out.push_str("<h2>Per label</h2>");
    label_table(out, &worst, worst.len());
    if !r.truth_not_in_pack.is_empty() {
        out.push_str("<h2>True labels the pack does not have</h2><table><tr><th>label</th><th>images</th></tr>");
        for (id, n) in r.truth_not_in_pack.iter().take(LIST_ROWS) {
            let _ = write!(out, "<tr><td>{}</td><td>{n}</td></tr>", esc(id));
        }
        out.push_str("</table>");
    }
    if !r.failed.is_empty() {
        out.push_str("<h2>Images that failed</h2><table><tr><th>image</th><th>error</th></tr>");
        for f in r.failed.iter().take(LIST_ROWS) {
            let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(&f.image), esc(&f.error));
        }
        out.push_str("</table>");
    }
}

fn page(title: &str, sub: &str, content: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\
<body><h1>{t}</h1><p class=\"sub\">{s}</p>{content}</body></html>\n",
        t = esc(title),
        s = sub
    )
}

fn settings(r: &EvalReport) -> String {
    let o = &r.options.label;
    format!(
        "{} images ({} labelled, {} without true labels) · pack {} {} ({} labels, {} with thresholds, {} calibrated) · model {}… · top_k {}{}{}",
        r.images,
        r.images_labelled,
        r.images_without_labels,
        esc(&r.pack.name),
        esc(&r.pack.version),
        r.pack.labels,
        r.pack.thresholded_labels,
        r.pack.calibrated_labels,
        esc(r.pack.model_fingerprint.get(..12).unwrap_or(&r.pack.model_fingerprint)),
        o.top_k,
        o.min_score.map(|m| format!(" · min_score {m}")).unwrap_or_default(),
        o.min_probability.map(|m| format!(" · min_probability {m}")).unwrap_or_default(),
    )
}

impl EvalReport {
    /// The report as a self-contained HTML page titled `title`.
    pub fn to_html(&self, title: &str) -> String {
        let mut out = String::new();
        headline(&mut out, self, None);
        body(&mut out, self, None);
        page(title, &settings(self), &out)
    }
}

impl EvalComparison {
    /// The comparison as a self-contained HTML page titled `title`: the new pack's report with
    /// the changes from the old one.
    pub fn to_html(&self, title: &str) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<p>Old: {} {} → new: {} {}. Top-1: <b class=\"up\">{} images fixed</b>, <b class=\"down\">{} broken</b>. \
F1: {} labels gained, {} lost, {} unchanged.</p>",
            esc(&self.old.pack.name),
            esc(&self.old.pack.version),
            esc(&self.new.pack.name),
            esc(&self.new.pack.version),
            self.fixed_images,
            self.broken_images,
            self.gains.len(),
            self.losses.len(),
            self.unchanged
        );
        headline(&mut out, &self.new, Some(&self.old));
        plots(&mut out, &self.new, Some(&self.old));
        for (name, list) in [("Largest losses", &self.losses), ("Largest gains", &self.gains)] {
            let _ = write!(out, "<h2>{name} (F1)</h2>");
            if list.is_empty() {
                out.push_str("<p>None.</p>");
                continue;
            }
            out.push_str("<table><tr><th>label</th><th>images</th><th>F1 old</th><th>F1 new</th><th>change</th><th>precision old → new</th><th>recall old → new</th></tr>");
            for c in list.iter().take(LIST_ROWS) {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{} → {}</td></tr>",
                    esc(&c.id),
                    c.support,
                    num(c.old_f1),
                    num(c.new_f1),
                    delta(c.old_f1.or(Some(0.0)), c.new_f1.or(Some(0.0))),
                    pct(c.old_precision),
                    pct(c.new_precision),
                    pct(c.old_recall),
                    pct(c.new_recall)
                );
            }
            out.push_str("</table>");
        }
        for (name, list) in
            [("Images broken (right before, wrong now)", &self.broken_examples), ("Images fixed", &self.fixed_examples)]
        {
            if list.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                "<h2>{name}</h2><table><tr><th>image</th><th>true</th><th>old top-1</th><th>new top-1</th></tr>"
            );
            for c in list {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&c.image),
                    esc(&c.truth.join(", ")),
                    esc(c.old_top1.as_deref().unwrap_or("–")),
                    esc(c.new_top1.as_deref().unwrap_or("–"))
                );
            }
            out.push_str("</table>");
        }
        out.push_str("<h2>New pack</h2>");
        tables(&mut out, &self.new);
        page(title, &settings(&self.new), &out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{EvalOptions, EvalRecord};

    #[test]
    fn escapes_text_and_is_self_contained() {
        let meta = crate::PackMeta {
            model_fingerprint: "cd".repeat(32),
            label_set: crate::PackLabelSet { name: "<script>".into(), version: "1.0.0".into(), description: None },
            created_unix_s: 0,
            created_by: "t".into(),
            dim: 2,
            embedding_dtype: crate::EmbeddingDType::F32,
            logit_scale: None,
            labels: ["a&b", "c"]
                .iter()
                .map(|id| crate::PackLabel {
                    id: id.to_string(),
                    name: format!("<{id}>"),
                    parent: None,
                    min_score: None,
                    synonyms: vec![],
                    prompts: vec![],
                    calibration: None,
                })
                .collect(),
        };
        let pack = crate::LabelPack::new(meta, vec![1.0, 0.0, 0.0, 1.0], &crate::IndexOptions::default()).unwrap();
        let rec = |img: &str, t: &str, a: f32| EvalRecord {
            image: img.into(),
            truth: vec![t.into()],
            candidates: vec![
                super::super::Candidate { id: "a&b".into(), score: a, probability: 0.5 },
                super::super::Candidate { id: "c".into(), score: 0.3, probability: 0.5 },
            ],
            truth_scores: vec![],
            error: None,
        };
        let records = vec![rec("x<1>.png", "a&b", 0.9), rec("y.png", "c", 0.5), rec("z.png", "c", 0.2)];
        let r = EvalReport::new(&pack, &records, &EvalOptions::default()).unwrap();
        let html = r.to_html("report <1>");
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        assert!(html.contains("a&amp;b") && !html.contains("src=") && !html.contains("href="));
        assert_eq!(html.matches("<svg").count(), 3, "three plots");
        assert_eq!(html, r.to_html("report <1>"), "deterministic");
        let c = EvalComparison::new(r.clone(), &records, r.clone(), &records).unwrap();
        let page = c.to_html("cmp");
        assert!(page.contains("0 images fixed") && page.contains("0 broken"));
    }
}
