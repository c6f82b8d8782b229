use super::figure::*;
use super::scale::*;
use super::svg::*;
use plotters::prelude::{BLUE, GREEN, RED};

#[test]
fn nice_steps() {
    assert_eq!(nice_step(0.7), 1.0);
    assert_eq!(nice_step(1.3), 2.0);
    assert_eq!(nice_step(3.0), 5.0);
    assert_eq!(nice_step(7.0), 10.0);
    assert_eq!(nice_step(10.0), 10.0);
    assert_eq!(nice_floor(17.0), 10.0);
    assert_eq!(nice_floor(230.0), 200.0);
    assert_eq!(nice_floor(0.6), 0.5);
}

#[test]
fn linear_ticks_cover_the_range() {
    let (t, step) = linear_ticks(0.0, 120.0, 12, false);
    assert_eq!(step, 10.0);
    assert_eq!(t.first(), Some(&0.0));
    assert_eq!(t.last(), Some(&120.0));
    let (t, step) = linear_ticks(0.0, 3.0, 8, true);
    assert_eq!(step, 1.0);
    assert_eq!(t, vec![0.0, 1.0, 2.0, 3.0]);
}

#[test]
fn fixed_ranges_end_on_a_tick() {
    for (hi, step) in [
        (15.0, 1.0),
        (40.0, 5.0),
        (90.0, 10.0),
        (120.0, 10.0),
        (10.0, 1.0),
    ] {
        let (t, s) = fitting_ticks(0.0, hi, 12, false);
        assert_eq!((s, t.last().copied()), (step, Some(hi)), "range 0..{hi}");
    }
    // 0..13 has no 1-2-5 step ending on 13 with 4 to 16 intervals.
    assert_eq!(fitting_ticks(0.0, 13.0, 12, false).1, 1.0);
}

#[test]
fn log_ticks_are_1_2_5() {
    assert_eq!(
        log_ticks(10.0, 500.0),
        vec![10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
    );
    assert_eq!(
        log_ticks(0.1, 10_000.0),
        vec![0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0]
    );
}

#[test]
fn tick_labels() {
    assert_eq!(fmt_tick(2.5, 0.5), "2.5");
    assert_eq!(fmt_tick(3000.0, 500.0), "3,000");
    assert_eq!(fmt_tick(300.0, 50.0), "300");
    assert_eq!(fmt_tick(30000.0, 5000.0), "30,000");
    assert_eq!(fmt_sig(0.2), "0.2");
    assert_eq!(fmt_sig(50.0), "50");
    assert_eq!(fmt_sig(2000.0), "2,000");
    assert_eq!(fmt_sig(1.5), "1.5");
    assert_eq!(group_thousands("-1234567.25"), "-1,234,567.25");
}

#[test]
fn gaps_split_lines() {
    let r = runs(
        &[(0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0), (3.0, 4.0)],
        |y| y,
    );
    assert_eq!(r, vec![vec![(0.0, 1.0)], vec![(2.0, 3.0), (3.0, 4.0)]]);
}

#[test]
fn renders_an_svg_with_its_legend() {
    let mut p = Panel::new(Axis::log("latency (ms, log scale)"), 300);
    p.lines
        .push(Line::new("p50", RED, vec![(0.0, 10.0), (1.0, 12.0)]));
    p.rules.push(Rule {
        label: "SLO p99 ≤ 150 ms".into(),
        color: BLUE,
        y: 150.0,
    });
    let fig = Figure {
        title: "Latency <&>".into(),
        subtitle: None,
        x: Axis::linear("time since start (min)"),
        panels: vec![p],
        markers: vec![Marker {
            x: 0.5,
            label: Some("deploy api".into()),
            color: GREEN,
            kind: "deploy",
        }],
    };
    let svg = render(&fig).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("Latency &lt;&amp;&gt;"));
    for l in [
        "p50",
        "SLO p99 ≤ 150 ms",
        "deploy api",
        "deploy",
        "time since start (min)",
    ] {
        assert!(svg.contains(l), "{l} missing");
    }
    assert!(svg.contains("<polyline"));
    assert_eq!(fig.labels(), vec!["p50", "SLO p99 ≤ 150 ms", "deploy"]);
}
