//! Charts as inline SVG, drawn with plotters' SVG backend.
//!
//! Four kinds cover every page: [`LineChart`] (series over days, with an
//! optional band and reference lines), [`BarChart`] (categories, grouped or
//! overlaid, vertical or horizontal), [`heatmap`] (the daily score
//! histogram) and [`gauge`] (a citizen's score). Every chart has a title,
//! axis descriptions with units, and a legend strip under the plot when it
//! has more than one series. The SVG scales to its container (`viewBox`)
//! and carries its title for screen readers. Text is drawn by the browser
//! in its own sans-serif font: nothing is fetched.

use std::error::Error;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::fmt;

/// Width of a chart in SVG units; it scales to its container.
pub const WIDTH: u32 = 520;
const HEIGHT: u32 = 340;
const FONT: &str = "sans-serif";
/// Font sizes (plotters divides by 1.24 when writing SVG).
const TITLE_SIZE: u32 = 26;
const LABEL_SIZE: u32 = 20;
const LEGEND_SIZE: u32 = 20;

type DrawResult = Result<(), Box<dyn Error>>;
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Colours of series, distinguishable and dark enough on white.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd9, 0x5f, 0x02),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x5f, 0x5f, 0x5f),
    RGBColor(0x9a, 0x9b, 0x10),
    RGBColor(0x17, 0xa2, 0xb8),
];

/// The colour of series `i`.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// `c` blended with white: `t` = 0 is `c`, 1 is white.
fn lighten(c: RGBColor, t: f64) -> RGBColor {
    let mix = |x: u8| (f64::from(x) + (255.0 - f64::from(x)) * t).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// Dark grey for text and reference lines.
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
const FAINT: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// The colour of grade `g` of `n` (0 is the highest): green to amber to red.
pub fn grade_color(g: usize, n: usize) -> RGBColor {
    let t = if n <= 1 { 0.0 } else { g as f64 / (n - 1) as f64 };
    let stops = [(0x2e, 0x7d, 0x32), (0xf9, 0xa8, 0x25), (0xc6, 0x28, 0x28)];
    let (a, b, u) = if t < 0.5 { (stops[0], stops[1], t * 2.0) } else { (stops[1], stops[2], (t - 0.5) * 2.0) };
    let mix = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * u).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// One line of a [`LineChart`].
#[derive(Debug, Clone)]
pub struct Series {
    /// Name in the legend.
    pub name: String,
    /// Colour.
    pub color: RGBColor,
    /// Points (x, y); a non-finite y breaks the line.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (a second run, a reference).
    pub dashed: bool,
}

impl Series {
    /// A solid line.
    pub fn new(name: impl Into<String>, color: RGBColor, points: Vec<(f64, f64)>) -> Series {
        Series { name: name.into(), color, points, dashed: false }
    }

    /// The same line, dashed.
    pub fn dashed(mut self) -> Series {
        self.dashed = true;
        self
    }
}

/// A shaded band between two values at each x (e.g. p10 to p90).
#[derive(Debug, Clone)]
pub struct Band {
    /// Name in the legend.
    pub name: String,
    /// Colour (drawn light).
    pub color: RGBColor,
    /// (x, low, high).
    pub points: Vec<(f64, f64, f64)>,
}

/// Series over a numeric x axis (days, mostly).
#[derive(Debug, Clone, Default)]
pub struct LineChart {
    /// Title above the chart.
    pub title: String,
    /// Description of the x axis, with its unit.
    pub x_desc: String,
    /// Description of the y axis, with its unit.
    pub y_desc: String,
    /// The lines.
    pub series: Vec<Series>,
    /// An optional band, drawn under the lines.
    pub band: Option<Band>,
    /// Horizontal reference lines (y, label), e.g. grade thresholds; drawn
    /// only where they fall inside the range of the data.
    pub hlines: Vec<(f64, String)>,
    /// Start the y axis at 0.
    pub y_from_zero: bool,
    /// Logarithmic y axis (values ≤ 0 are left out).
    pub log_y: bool,
}

/// One series of a [`BarChart`].
#[derive(Debug, Clone)]
pub struct Bars {
    /// Name in the legend.
    pub name: String,
    /// Colour.
    pub color: RGBColor,
    /// One value per category.
    pub values: Vec<f64>,
    /// Name and colour of the bars with a negative value, when they mean
    /// something else (less often rather than more often).
    pub negative: Option<(String, RGBColor)>,
}

impl Bars {
    /// A series of bars.
    pub fn new(name: impl Into<String>, color: RGBColor, values: Vec<f64>) -> Bars {
        Bars { name: name.into(), color, values, negative: None }
    }
}

/// Bars per category.
#[derive(Debug, Clone, Default)]
pub struct BarChart {
    /// Title above the chart.
    pub title: String,
    /// Description of the category axis.
    pub category_desc: String,
    /// Description of the value axis, with its unit.
    pub value_desc: String,
    /// Category labels.
    pub categories: Vec<String>,
    /// The series; with `overlay`, later series are drawn inside earlier
    /// ones (a part of a whole), otherwise side by side.
    pub series: Vec<Bars>,
    /// Draw later series over the first (parts of it).
    pub overlay: bool,
    /// Categories down the side, bars to the right (for long labels).
    pub horizontal: bool,
    /// A reference value drawn as a dashed line, with its name in the legend.
    pub reference: Option<(f64, String)>,
}

/// Wraps plotters' SVG in the attributes a page needs: a class for CSS, an
/// image role and the title for screen readers.
fn finish(svg: String, title: &str) -> String {
    let escaped = maud::html! { (title) }.into_string();
    let svg = svg.replacen("<svg ", &format!("<svg class=\"chart\" role=\"img\" aria-label=\"{escaped}\" "), 1);
    match svg.find('>') {
        Some(i) => format!("{}<title>{escaped}</title>{}", &svg[..=i], &svg[i + 1..]),
        None => svg,
    }
}

/// Draws into a fresh SVG of the given size; a drawing error becomes a
/// short note in place of the chart (it would be a bug: the inputs are
/// checked before drawing).
fn render(title: &str, size: (u32, u32), draw: impl FnOnce(&Area) -> DrawResult) -> String {
    let mut svg = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(Box::<dyn Error>::from).and_then(|_| draw(&root)).and_then(|_| Ok(root.present()?))
    };
    match result {
        Ok(()) => finish(svg, title),
        Err(e) => {
            eprintln!("scorelab serve: chart “{title}” could not be drawn: {e}");
            maud::html! { p.chart-error { "The chart “" (title) "” could not be drawn." } }.into_string()
        }
    }
}

/// A legend entry: name, colour, and whether it is a filled box (bars,
/// bands) rather than a line.
struct Key {
    name: String,
    color: RGBColor,
    filled: bool,
    dashed: bool,
}

fn legend_style() -> TextStyle<'static> {
    (FONT, LEGEND_SIZE).into_font().color(&INK)
}

/// Rows of legend entries that fit in `width`, as (entries, x offsets).
fn legend_rows(area_width: u32, keys: &[Key]) -> Vec<Vec<(usize, i32)>> {
    let mut rows: Vec<Vec<(usize, i32)>> = vec![Vec::new()];
    let mut x = 12;
    for (i, k) in keys.iter().enumerate() {
        // Estimated text width: plotters' estimate for the SVG backend.
        let em = f64::from(LEGEND_SIZE) / 1.24 / 1.24;
        let w = 34 + (em * 0.62 * k.name.chars().count() as f64) as i32 + 18;
        if x + w > area_width as i32 && x > 12 {
            rows.push(Vec::new());
            x = 12;
        }
        if let Some(row) = rows.last_mut() {
            row.push((i, x));
        }
        x += w;
    }
    rows
}

const LEGEND_ROW: u32 = 26;

/// Height of the legend strip for `keys` (0 for a single series).
fn legend_height(width: u32, keys: &[Key]) -> u32 {
    if keys.len() < 2 {
        0
    } else {
        legend_rows(width, keys).len() as u32 * LEGEND_ROW + 10
    }
}

/// Draws the legend strip.
fn draw_legend(area: &Area, keys: &[Key]) -> DrawResult {
    let (width, _) = area.dim_in_pixel();
    for (r, row) in legend_rows(width, keys).iter().enumerate() {
        let y = 6 + r as i32 * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2;
        for &(i, x) in row {
            let k = &keys[i];
            if k.filled {
                area.draw(&Rectangle::new([(x, y - 7), (x + 26, y + 7)], k.color.mix(0.85).filled()))?;
            } else if k.dashed {
                area.draw(&DashedPathElement::new(vec![(x, y), (x + 26, y)], 6, 3, k.color.stroke_width(3)))?;
            } else {
                area.draw(&PathElement::new(vec![(x, y), (x + 26, y)], k.color.stroke_width(3)))?;
            }
            area.draw(&Text::new(k.name.clone(), (x + 32, y), legend_style().pos(Pos::new(HPos::Left, VPos::Center))))?;
        }
    }
    Ok(())
}

/// A label for an axis value, with separators and as many decimals as the
/// axis step needs.
fn axis_value(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 || step == 0.0 {
        0
    } else if step >= 0.1 {
        1
    } else if step >= 0.01 {
        2
    } else {
        3
    };
    if decimals == 0 {
        let r = v.round();
        let text = fmt::count(r.abs() as u64);
        if r < 0.0 {
            format!("\u{2212}{text}")
        } else {
            text
        }
    } else {
        let text = format!("{:.decimals$}", v.abs());
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let int = fmt::count(int.parse().unwrap_or(0));
        let sign = if v < 0.0 && text.chars().any(|c| ('1'..='9').contains(&c)) { "\u{2212}" } else { "" };
        format!("{sign}{int}.{frac}")
    }
}

/// A range that plotters can draw: never empty, padded by 5%.
fn padded(lo: f64, hi: f64, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    if from_zero {
        lo = lo.min(0.0);
    }
    if hi - lo < 1e-9 {
        // A flat line: centre it.
        if from_zero && lo >= 0.0 {
            hi = lo.max(1.0) * 2.0;
        } else {
            (lo, hi) = (lo - 1.0, hi + 1.0);
        }
    }
    let pad = (hi - lo) * 0.05;
    (if from_zero && lo >= 0.0 { 0.0 } else { lo - pad }, hi + pad)
}

/// Splits points at non-finite values into drawable runs.
fn runs(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let mut out = vec![Vec::new()];
    for &(x, y) in points {
        if x.is_finite() && y.is_finite() {
            if let Some(last) = out.last_mut() {
                last.push((x, y));
            }
        } else if out.last().is_some_and(|l| !l.is_empty()) {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

impl LineChart {
    /// The chart as SVG.
    pub fn svg(&self) -> String {
        let mut keys: Vec<Key> = Vec::new();
        if let Some(b) = &self.band {
            keys.push(Key { name: b.name.clone(), color: lighten(b.color, 0.75), filled: true, dashed: false });
        }
        keys.extend(self.series.iter().map(|s| Key {
            name: s.name.clone(),
            color: s.color,
            filled: false,
            dashed: s.dashed,
        }));
        let legend = legend_height(WIDTH, &keys);
        render(&self.title, (WIDTH, HEIGHT + legend), |root| {
            let (plot, strip) = root.split_vertically(HEIGHT);
            self.draw(&plot)?;
            if legend > 0 {
                draw_legend(&strip, &keys)?;
            }
            Ok(())
        })
    }

    fn transform(&self, y: f64) -> f64 {
        if self.log_y {
            if y > 0.0 {
                y.log10()
            } else {
                f64::NAN
            }
        } else {
            y
        }
    }

    fn draw(&self, area: &Area) -> DrawResult {
        let series: Vec<Vec<Vec<(f64, f64)>>> = self
            .series
            .iter()
            .map(|s| runs(&s.points.iter().map(|&(x, y)| (x, self.transform(y))).collect::<Vec<_>>()))
            .collect();
        let band: Vec<(f64, f64, f64)> = self
            .band
            .iter()
            .flat_map(|b| b.points.iter().copied())
            .filter(|(x, lo, hi)| x.is_finite() && lo.is_finite() && hi.is_finite())
            .map(|(x, lo, hi)| (x, self.transform(lo), self.transform(hi)))
            .filter(|(_, lo, hi)| lo.is_finite() && hi.is_finite())
            .collect();
        // The x axis spans every point given, drawn or not: a gap at the
        // start (no value yet) stays visible as a gap.
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .filter(|x| x.is_finite())
            .chain(band.iter().map(|b| b.0));
        let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        let ys = series.iter().flatten().flatten().map(|p| p.1).chain(band.iter().flat_map(|b| [b.1, b.2]));
        let (y_lo, y_hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
        let (x_lo, x_hi) = if x_lo.is_finite() { (x_lo, x_hi.max(x_lo + 1.0)) } else { (0.0, 1.0) };
        let (y_lo, y_hi) = if self.log_y {
            let lo = if y_lo.is_finite() { y_lo.floor() } else { 0.0 };
            let hi = if y_hi.is_finite() { y_hi.ceil().max(lo + 1.0) } else { 1.0 };
            (lo, hi)
        } else {
            padded(y_lo, y_hi, self.y_from_zero)
        };
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FONT, TITLE_SIZE).into_font().color(&INK))
            .margin(14)
            .x_label_area_size(58)
            .y_label_area_size(92)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        let y_step = (y_hi - y_lo) / 5.0;
        let x_step = (x_hi - x_lo) / 6.0;
        let log = self.log_y;
        let y_fmt = move |v: &f64| if log { axis_value(10f64.powf(*v), 1.0) } else { axis_value(*v, y_step) };
        let x_fmt = move |v: &f64| axis_value(*v, x_step);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .x_labels(7)
            .label_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .axis_desc_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt);
        if log {
            mesh.y_labels((y_hi - y_lo) as usize + 1);
        } else {
            mesh.y_labels(6);
        }
        mesh.draw()?;
        if !band.is_empty() {
            if let Some(b) = &self.band {
                let outline: Vec<(f64, f64)> =
                    band.iter().map(|p| (p.0, p.2)).chain(band.iter().rev().map(|p| (p.0, p.1))).collect();
                chart.draw_series(std::iter::once(Polygon::new(outline, lighten(b.color, 0.75).filled())))?;
            }
        }
        for (y, label) in &self.hlines {
            let y = self.transform(*y);
            if !(y.is_finite() && y >= y_lo && y <= y_hi) {
                continue;
            }
            chart.draw_series(DashedLineSeries::new(vec![(x_lo, y), (x_hi, y)], 5, 4, FAINT.stroke_width(1)))?;
            chart.draw_series(std::iter::once(Text::new(
                label.clone(),
                (x_hi, y),
                (FONT, 18).into_font().color(&FAINT).pos(Pos::new(HPos::Right, VPos::Bottom)),
            )))?;
        }
        for (s, runs) in self.series.iter().zip(&series) {
            for run in runs {
                if run.len() == 1 {
                    chart.draw_series(std::iter::once(Circle::new(run[0], 3, s.color.filled())))?;
                } else if s.dashed {
                    chart.draw_series(DashedLineSeries::new(run.clone(), 8, 5, s.color.stroke_width(2)))?;
                } else {
                    chart.draw_series(LineSeries::new(run.clone(), s.color.stroke_width(2)))?;
                }
            }
        }
        Ok(())
    }
}

impl BarChart {
    /// The chart as SVG.
    pub fn svg(&self) -> String {
        let mut keys: Vec<Key> = Vec::new();
        for s in &self.series {
            keys.push(Key { name: s.name.clone(), color: s.color, filled: true, dashed: false });
            if let Some((name, color)) = &s.negative {
                keys.push(Key { name: name.clone(), color: *color, filled: true, dashed: false });
            }
        }
        if let Some((_, name)) = &self.reference {
            keys.push(Key { name: name.clone(), color: INK, filled: false, dashed: true });
        }
        let legend = legend_height(WIDTH, &keys);
        let height = if self.horizontal { 130 + 30 * self.categories.len() as u32 } else { HEIGHT };
        render(&self.title, (WIDTH, height + legend), |root| {
            let (plot, strip) = root.split_vertically(height);
            if self.horizontal {
                self.draw_horizontal(&plot)?;
            } else {
                self.draw_vertical(&plot)?;
            }
            if legend > 0 {
                draw_legend(&strip, &keys)?;
            }
            Ok(())
        })
    }

    /// The value axis: from the lowest to the highest value (and the
    /// reference), always including 0, with a margin.
    fn value_range(&self) -> (f64, f64) {
        let values = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .chain(self.reference.iter().map(|r| r.0))
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        if hi - lo <= 0.0 {
            (0.0, 1.0)
        } else {
            (lo * 1.08, hi * 1.08)
        }
    }

    /// The span of bar `s` of category `i`: (from, to) along the category axis.
    fn slot(&self, i: usize, s: usize) -> (f64, f64) {
        let (lo, hi) = (i as f64 + 0.15, i as f64 + 0.85);
        if self.overlay || self.series.len() <= 1 {
            // A part of a whole is drawn narrower inside the whole.
            let inset = if s == 0 { 0.0 } else { 0.12 };
            (lo + inset, hi - inset)
        } else {
            let w = (hi - lo) / self.series.len() as f64;
            (lo + w * s as f64, lo + w * (s as f64 + 1.0))
        }
    }

    fn draw_vertical(&self, area: &Area) -> DrawResult {
        let n = self.categories.len().max(1) as f64;
        let (lo, hi) = self.value_range();
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FONT, TITLE_SIZE).into_font().color(&INK))
            .margin(14)
            .x_label_area_size(62)
            .y_label_area_size(92)
            .build_cartesian_2d(0.0..n, lo..hi)?;
        let step = (hi - lo) / 5.0;
        let y_fmt = move |v: &f64| axis_value(*v, step);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(6)
            .x_desc(&self.category_desc)
            .y_desc(&self.value_desc)
            .label_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .axis_desc_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
            .y_label_formatter(&y_fmt)
            .draw()?;
        self.draw_bars(&mut chart, false)?;
        // Category labels under the bars; every k-th when they would overlap.
        let plot_width = chart.plotting_area().dim_in_pixel().0 as f64;
        let widest = self.categories.iter().map(|c| c.chars().count()).max().unwrap_or(1) as f64;
        let label_px = widest * f64::from(LABEL_SIZE) / 1.24 * 0.62 + 6.0;
        let every = ((label_px * n / plot_width).ceil() as usize).max(1);
        for (i, c) in self.categories.iter().enumerate().filter(|(i, _)| i % every == 0) {
            let (x, y) = chart.backend_coord(&(i as f64 + 0.5, lo));
            area.draw(&Text::new(
                c.clone(),
                (x, y + 6),
                (FONT, LABEL_SIZE).into_font().color(&INK).pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        Ok(())
    }

    fn draw_horizontal(&self, area: &Area) -> DrawResult {
        let n = self.categories.len().max(1) as f64;
        let (lo, hi) = self.value_range();
        let widest = self.categories.iter().map(|c| c.chars().count()).max().unwrap_or(1) as f64;
        let label_area = (widest * f64::from(LABEL_SIZE) / 1.24 * 0.6 + 20.0).min(f64::from(WIDTH) / 2.0) as u32;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, (FONT, TITLE_SIZE).into_font().color(&INK))
            .margin(14)
            .x_label_area_size(58)
            .y_label_area_size(label_area)
            .build_cartesian_2d(lo..hi, 0.0..n)?;
        let step = (hi - lo) / 5.0;
        let x_fmt = move |v: &f64| axis_value(*v, step);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(6)
            .x_desc(&self.value_desc)
            .label_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .axis_desc_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(0xe4, 0xe4, 0xe4))
            .x_label_formatter(&x_fmt)
            .draw()?;
        self.draw_bars(&mut chart, true)?;
        for (i, c) in self.categories.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(lo, n - i as f64 - 0.5));
            area.draw(&Text::new(
                c.clone(),
                (x - 8, y),
                (FONT, LABEL_SIZE).into_font().color(&INK).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
        Ok(())
    }

    fn draw_bars<'a>(
        &self,
        chart: &mut ChartContext<
            'a,
            SVGBackend<'a>,
            Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
        >,
        horizontal: bool,
    ) -> DrawResult {
        let n = self.categories.len() as f64;
        for (s, bars) in self.series.iter().enumerate() {
            let alpha = if self.overlay && s > 0 { 1.0 } else { 0.85 };
            let rects = bars.values.iter().enumerate().filter(|(_, v)| v.is_finite() && **v != 0.0).map(|(i, &v)| {
                let (a, b) = self.slot(i, s);
                let color = match &bars.negative {
                    Some((_, c)) if v < 0.0 => *c,
                    _ => bars.color,
                };
                let style = color.mix(alpha).filled();
                if horizontal {
                    Rectangle::new([(0.0, n - b), (v, n - a)], style)
                } else {
                    Rectangle::new([(a, 0.0), (b, v)], style)
                }
            });
            chart.draw_series(rects)?;
        }
        let (lo, _) = self.value_range();
        if lo < 0.0 {
            // Bars go both ways: mark where they start.
            let zero = if horizontal { vec![(0.0, 0.0), (0.0, n)] } else { vec![(0.0, 0.0), (n, 0.0)] };
            chart.draw_series(std::iter::once(PathElement::new(zero, INK.stroke_width(1))))?;
        }
        if let Some((v, _)) = &self.reference {
            let line = if horizontal { vec![(*v, 0.0), (*v, n)] } else { vec![(0.0, *v), (n, *v)] };
            chart.draw_series(DashedLineSeries::new(line, 6, 4, INK.stroke_width(2)))?;
        }
        Ok(())
    }
}

/// Steps of the heatmap's colour scale: two per decade from 0.001% to 100%.
const HEAT_LEVELS: usize = 11;

/// The step of a share of adults (0 to 1] on the heatmap's log scale.
fn heat_level(share: f64) -> usize {
    let t = ((share.log10() + 5.0) / 5.0).clamp(0.0, 1.0);
    (t * (HEAT_LEVELS - 1) as f64).round() as usize
}

/// The colour of a step: pale (0.001%) to dark blue (100%).
fn heat_color(level: usize) -> RGBColor {
    let t = level.min(HEAT_LEVELS - 1) as f64 / (HEAT_LEVELS - 1) as f64;
    let stops = [(0xe8, 0xee, 0xf6), (0x74, 0xa9, 0xcf), (0x04, 0x5a, 0x8d), (0x02, 0x23, 0x4a)];
    let x = t * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let u = x - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * u).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The colour of a share of adults in a heatmap cell.
fn heat(share: f64) -> RGBColor {
    heat_color(heat_level(share))
}

/// The distribution of the effective score over time: one column per day
/// (or per few days for long runs), one row per 10-point bin (or a few),
/// the colour the share of adults in the cell. `days` are (day, adults,
/// histogram) with the histogram's bins starting at `origin_points`,
/// `bin_points` wide.
pub fn heatmap(title: &str, days: &[(u32, u64, &[u64])], origin_points: i64, bin_points: i64) -> String {
    let bins = days.iter().map(|d| d.2.len()).max().unwrap_or(0);
    let occupied: Vec<usize> = (0..bins).filter(|&b| days.iter().any(|d| d.2.get(b).is_some_and(|&c| c > 0))).collect();
    let (Some(&first), Some(&last)) = (occupied.first(), occupied.last()) else {
        return maud::html! { p.note { "No adults in this run: there is no score distribution to draw." } }
            .into_string();
    };
    let (first, last) = (first.saturating_sub(1), (last + 1).min(bins - 1));
    let row_bins = (last - first + 1).div_ceil(60).max(1);
    let col_days = days.len().div_ceil(120).max(1);
    let keys: Vec<Key> = [0.00001, 0.0001, 0.001, 0.01, 0.1, 1.0]
        .iter()
        .map(|&s| Key { name: fmt::pct(s), color: heat(s), filled: true, dashed: false })
        .collect();
    let legend = legend_height(WIDTH, &keys);
    render(title, (WIDTH, HEIGHT + 30 + legend), |root| {
        let (plot, rest) = root.split_vertically(HEIGHT);
        let (note, strip) = rest.split_vertically(30);
        let lo = origin_points as f64 + (first as i64 * bin_points) as f64;
        let hi = origin_points as f64 + ((last + 1) as i64 * bin_points) as f64;
        let d0 = days.first().map_or(0.0, |d| f64::from(d.0));
        let d1 = days.last().map_or(1.0, |d| f64::from(d.0) + 1.0);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, (FONT, TITLE_SIZE).into_font().color(&INK))
            .margin(14)
            .x_label_area_size(58)
            .y_label_area_size(92)
            .build_cartesian_2d(d0..d1, lo..hi)?;
        let x_step = (d1 - d0) / 6.0;
        let x_fmt = move |v: &f64| axis_value(*v, x_step);
        let y_fmt = |v: &f64| axis_value(*v, 10.0);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(7)
            .y_labels(6)
            .x_desc("day")
            .y_desc("effective score (points)")
            .label_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .axis_desc_style((FONT, LABEL_SIZE).into_font().color(&INK))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()?;
        // One level per cell (the colour scale has HEAT_LEVELS steps), then
        // runs of equal levels along a row merged into one rectangle: the
        // SVG stays small for long runs.
        let rows: Vec<usize> = (first..=last).step_by(row_bins).collect();
        let mut columns: Vec<(f64, f64, Vec<Option<usize>>)> = Vec::new();
        for cols in days.chunks(col_days) {
            let adults: u64 = cols.iter().map(|d| d.1).sum();
            let x0 = f64::from(cols[0].0);
            let x1 = cols.last().map_or(x0 + 1.0, |d| f64::from(d.0) + 1.0);
            let levels = rows
                .iter()
                .map(|&r| {
                    let count: u64 = cols
                        .iter()
                        .map(|d| (r..(r + row_bins).min(last + 1)).filter_map(|b| d.2.get(b)).sum::<u64>())
                        .sum();
                    (count > 0 && adults > 0).then(|| heat_level(count as f64 / adults as f64))
                })
                .collect();
            columns.push((x0, x1, levels));
        }
        let mut cells = Vec::new();
        for (k, &r) in rows.iter().enumerate() {
            let y0 = origin_points as f64 + (r as i64 * bin_points) as f64;
            let y1 = (y0 + (row_bins as i64 * bin_points) as f64).min(hi);
            let mut c = 0;
            while c < columns.len() {
                let Some(level) = columns[c].2[k] else {
                    c += 1;
                    continue;
                };
                let start = columns[c].0;
                while c + 1 < columns.len() && columns[c + 1].2[k] == Some(level) {
                    c += 1;
                }
                cells.push(Rectangle::new([(start, y0), (columns[c].1, y1)], heat_color(level).filled()));
                c += 1;
            }
        }
        chart.draw_series(cells)?;
        let cell = format!(
            "colour: share of adults in a {}-point band{} (log scale)",
            row_bins as i64 * bin_points,
            if col_days > 1 { format!(" over {col_days} days") } else { String::new() }
        );
        note.draw(&Text::new(cell, (12, 15), legend_style().pos(Pos::new(HPos::Left, VPos::Center))))?;
        draw_legend(&strip, &keys)
    })
}

/// One grade's span on a [`gauge`], in points.
#[derive(Debug, Clone)]
pub struct GaugeBand {
    /// Grade name.
    pub name: String,
    /// Lowest score of the grade (points).
    pub lo: f64,
    /// Highest score of the grade (points).
    pub hi: f64,
    /// Colour.
    pub color: RGBColor,
}

/// A Sesame-style score gauge: an arc of grade bands from `range.0` to
/// `range.1` points, a needle at `score` and the score and grade written
/// in the middle.
pub fn gauge(title: &str, score: f64, grade: &str, bands: &[GaugeBand], range: (f64, f64)) -> String {
    let (min, max) = if range.1 > range.0 { range } else { (range.0, range.0 + 1.0) };
    let angle = move |s: f64| std::f64::consts::PI * (1.0 - ((s - min) / (max - min)).clamp(0.0, 1.0));
    let at = |a: f64, r: f64| (r * a.cos(), r * a.sin());
    let svg = render(title, (460, 330), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, (FONT, TITLE_SIZE).into_font().color(&INK))
            .margin(10)
            .build_cartesian_2d(-1.35f64..1.35, -0.55f64..1.2)?;
        for b in bands {
            let (lo, hi) = (b.lo.max(min), b.hi.min(max));
            if hi <= lo {
                continue;
            }
            let steps = 24;
            let (a0, a1) = (angle(lo), angle(hi));
            let outer = (0..=steps).map(|k| at(a0 + (a1 - a0) * k as f64 / steps as f64, 1.0));
            let inner = (0..=steps).rev().map(|k| at(a0 + (a1 - a0) * k as f64 / steps as f64, 0.72));
            chart
                .draw_series(std::iter::once(Polygon::new(outer.chain(inner).collect::<Vec<_>>(), b.color.filled())))?;
            let mid = (a0 + a1) / 2.0;
            let (x, y) = at(mid, 1.1);
            let h = if x > 0.15 {
                HPos::Left
            } else if x < -0.15 {
                HPos::Right
            } else {
                HPos::Center
            };
            chart.draw_series(std::iter::once(Text::new(
                b.name.clone(),
                (x, y),
                (FONT, 18).into_font().color(&INK).pos(Pos::new(h, VPos::Center)),
            )))?;
        }
        let a = angle(score);
        chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, 0.0), at(a, 0.92)], INK.stroke_width(4))))?;
        chart.draw_series(std::iter::once(Circle::new((0.0, 0.0), 7, INK.filled())))?;
        let text = |s: String, y: f64, size: u32| {
            Text::new(s, (0.0, y), (FONT, size).into_font().color(&INK).pos(Pos::new(HPos::Center, VPos::Center)))
        };
        chart.draw_series([text(fmt::points(score), -0.2, 40), text(format!("grade {grade}"), -0.42, 24)])?;
        let ends = [(min, -1.0, HPos::Left), (max, 1.0, HPos::Right)];
        chart.draw_series(ends.iter().map(|&(v, x, h)| {
            Text::new(
                fmt::points(v).replace(".0", ""),
                (x * 0.86, -0.1),
                (FONT, 18).into_font().color(&FAINT).pos(Pos::new(h, VPos::Center)),
            )
        }))?;
        Ok(())
    });
    // A gauge is small enough for a phone as it is (see app.css).
    svg.replacen("class=\"chart\"", "class=\"chart gauge\"", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_chart_has_title_axes_and_legend() {
        let chart = LineChart {
            title: "Scores <over> time".into(),
            x_desc: "day".into(),
            y_desc: "score (points)".into(),
            series: vec![
                Series::new("mean", color(0), vec![(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 2.0)]),
                Series::new("median", color(1), vec![(0.0, 2.0), (3.0, 4.0)]).dashed(),
            ],
            ..LineChart::default()
        };
        let svg = chart.svg();
        assert!(svg.starts_with("<svg class=\"chart\""), "{}", &svg[..100]);
        assert!(svg.contains("<title>Scores &lt;over&gt; time</title>"));
        for text in ["day", "score (points)", "mean", "median"] {
            assert!(svg.contains(text), "{text} missing");
        }
    }

    #[test]
    fn empty_and_degenerate_inputs_still_draw() {
        let chart = LineChart { title: "t".into(), log_y: true, ..LineChart::default() };
        assert!(chart.svg().contains("<svg"));
        let bars = BarChart { title: "b".into(), categories: vec!["a".into()], ..BarChart::default() };
        assert!(bars.svg().contains("<svg"));
        assert!(heatmap("h", &[], 0, 10).contains("No adults"));
    }

    #[test]
    fn grade_colours_run_from_green_to_red() {
        assert_eq!(grade_color(0, 6), RGBColor(0x2e, 0x7d, 0x32));
        assert_eq!(grade_color(5, 6), RGBColor(0xc6, 0x28, 0x28));
    }
}
