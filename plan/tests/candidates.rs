//! The cross product, the blame for a bad value, and the host fit.

use dockmaster_plan::candidate::{build, check_values, nth, Built, DESIRED};
use dockmaster_plan::space::{from_flag, from_text, with_flags};
use dockmaster_plan::Shard;
use std::path::Path;

const SCENARIO: &str = r#"
name = "fit"
duration = "1m"
[cluster]
instance_type = "c5.large"
azs = ["a", "b"]
[cluster.asg]
min = 1
max = 10
desired = 1
[[services]]
name = "web"
desired = 2
cpu = 1024
memory = 1024
concurrency = 4
service_time = { dist = "constant", value = "10ms" }
[traffic]
profile = [ { at = "0s", rps = 10 } ]
[[plan.vary]]
field = "cluster.instance_type"
values = ["c5.large", "c5.xlarge"]
[[plan.vary]]
field = "services[0].desired"
values = [2, 5, 8]
"#;

#[test]
fn the_cross_product_varies_the_last_dimension_fastest() {
    let s = from_text(SCENARIO).unwrap();
    assert_eq!(s.candidates(), 6);
    let v: Vec<String> = (0..6)
        .map(|i| {
            let c = nth(&s, i);
            assert_eq!(c.index, i);
            c.values
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        v,
        [
            "\"c5.large\" 2",
            "\"c5.large\" 5",
            "\"c5.large\" 8",
            "\"c5.xlarge\" 2",
            "\"c5.xlarge\" 5",
            "\"c5.xlarge\" 8",
        ]
    );
    // Shards partition the candidates.
    for n in 1..=4 {
        let mut seen = vec![0; 6];
        for i in 0..n {
            let shard = Shard { index: i, count: n };
            (0..6).filter(|&c| shard.has(c)).for_each(|c| seen[c] += 1);
        }
        assert!(seen.iter().all(|&k| k == 1), "{n} shards: {seen:?}");
    }
}

#[test]
fn hosts_are_fitted_to_the_fewest_that_place_every_task() {
    // A c5.large registers 2048 CPU units: two 1024-unit tasks a host; a
    // c5.xlarge four. 5 tasks: 3 c5.large or 2 c5.xlarge.
    let s = from_text(SCENARIO).unwrap();
    let path = Path::new("fit.toml");
    let desired = |i: usize| match build(SCENARIO, path, &s, nth(&s, i)) {
        Built::Scenario(sc, c) => {
            let (f, v) = c.values.last().unwrap().clone();
            assert_eq!(f, DESIRED);
            assert_eq!(v.parse::<u32>().unwrap(), sc.cluster.asg.desired);
            sc.cluster.asg.desired
        }
        Built::Refused(_, why) => panic!("{why}"),
    };
    assert_eq!([desired(0), desired(1), desired(2)], [1, 3, 4]);
    assert_eq!([desired(3), desired(4), desired(5)], [1, 2, 2]);
}

#[test]
fn tasks_that_fit_no_fleet_are_refused_with_the_reason() {
    let s = with_flags(
        from_text(SCENARIO).unwrap(),
        &[from_flag("services[0].desired=30", 0).unwrap()],
    )
    .unwrap();
    // The flag's dimension comes last: candidate 0 is c5.large, 2 then 30 tasks.
    match build(SCENARIO, Path::new("fit.toml"), &s, nth(&s, 0)) {
        Built::Refused(_, why) => assert!(
            why.contains("30 tasks cannot all be placed on cluster.asg.max = 10"),
            "{why}"
        ),
        Built::Scenario(..) => panic!("30 tasks on 10 hosts of two"),
    }
}

#[test]
fn a_bad_value_is_blamed_on_its_place_in_the_plan() {
    let text = SCENARIO.replace("values = [2, 5, 8]", "values = [2, -1, 8]");
    let s = from_text(&text).unwrap();
    let p = check_values(&text, Path::new("fit.toml"), &s).unwrap_err();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].path, "plan.vary[1].values[1]");
    assert_eq!(p[0].value, "-1");
    assert!(
        p[0].allowed.starts_with("services[0].desired: "),
        "{}",
        p[0].allowed
    );
}
