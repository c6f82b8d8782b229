use super::*;

fn problems(plan: &str) -> Vec<Problem> {
    from_text(&format!("name = \"x\"\n{plan}")).expect_err("a bad [plan]")
}

fn one(plan: &str) -> (String, String, String) {
    let p = problems(plan);
    assert_eq!(p.len(), 1, "{p:?}");
    (p[0].path.clone(), p[0].value.clone(), p[0].allowed.clone())
}

#[test]
fn no_plan_is_the_defaults_and_no_dimension() {
    let s = from_text("name = \"x\"").unwrap();
    assert_eq!(s.confidence, DEFAULT_CONFIDENCE);
    assert_eq!(s.max_replications, DEFAULT_MAX_REPLICATIONS);
    assert_eq!(s.hosts, Hosts::Fit);
    assert!(s.dimensions.is_empty());
    assert_eq!(s.candidates(), 1);
}

#[test]
fn dimensions_multiply_and_ranges_expand() {
    let s = from_text(
        "[plan]\nconfidence = 0.9\nmax_replications = 8\nhosts = \"as_is\"\n\
         [[plan.vary]]\nfield = \"cluster.instance_type\"\nvalues = [\"c5.large\", \"m5.large\"]\n\
         [[plan.vary]]\nfields = [\"services[0].desired\", \"services[0].autoscaling.min\"]\n\
         range = { from = 4, to = 10, step = 3 }\n",
    )
    .unwrap();
    assert_eq!(
        (s.confidence, s.max_replications, s.hosts),
        (0.9, 8, Hosts::AsIs)
    );
    assert_eq!(s.dimensions[0].values, ["\"c5.large\"", "\"m5.large\""]);
    assert_eq!(s.dimensions[1].values, ["4", "7", "10"]);
    assert_eq!(s.dimensions[1].origin, "plan.vary[1]");
    assert_eq!(s.candidates(), 6);
}

#[test]
fn a_confidence_outside_half_to_one_is_refused() {
    let (path, value, allowed) = one("[plan]\nconfidence = 1.2");
    assert_eq!((path.as_str(), value.as_str()), ("plan.confidence", "1.2"));
    assert!(allowed.contains("above 0.5 and below 1"), "{allowed}");
}

#[test]
fn max_replications_must_be_a_whole_number_in_range() {
    let (path, value, _) = one("[plan]\nmax_replications = 0");
    assert_eq!(
        (path.as_str(), value.as_str()),
        ("plan.max_replications", "0")
    );
    let (_, value, _) = one("[plan]\nmax_replications = \"twenty\"");
    assert_eq!(value, "\"twenty\"");
}

#[test]
fn hosts_is_fit_or_as_is() {
    let (path, value, allowed) = one("[plan]\nhosts = \"all\"");
    assert_eq!((path.as_str(), value.as_str()), ("plan.hosts", "\"all\""));
    assert!(allowed.contains("\"fit\"") && allowed.contains("\"as_is\""));
}

#[test]
fn an_unknown_key_is_named_with_the_allowed_ones() {
    let (path, _, allowed) = one("[plan]\nconfidense = 0.9");
    assert_eq!(path, "plan.confidense");
    assert!(allowed.contains("confidence, max_replications, hosts, vary"));
    let (path, _, _) = one("[[plan.vary]]\nfield = \"a\"\nvalues = [1]\nstep = 2");
    assert_eq!(path, "plan.vary[0].step");
}

#[test]
fn a_dimension_needs_a_field_and_values() {
    let (path, value, _) = one("[[plan.vary]]\nvalues = [1, 2]");
    assert_eq!(
        (path.as_str(), value.as_str()),
        ("plan.vary[0].field", "(missing)")
    );
    let (path, value, _) = one("[[plan.vary]]\nfield = \"services[0].desired\"");
    assert_eq!(
        (path.as_str(), value.as_str()),
        ("plan.vary[0].values", "(missing)")
    );
    let (path, value, _) = one("[[plan.vary]]\nfield = \"services[0].desired\"\nvalues = []");
    assert_eq!(
        (path.as_str(), value.as_str()),
        ("plan.vary[0].values", "[]")
    );
    let (path, _, _) = one("[[plan.vary]]\nfield = 3\nvalues = [1]");
    assert_eq!(path, "plan.vary[0].field");
}

#[test]
fn field_and_fields_together_are_refused() {
    let (path, _, allowed) = one("[[plan.vary]]\nfield = \"a\"\nfields = [\"b\"]\nvalues = [1]");
    assert_eq!(path, "plan.vary[0]");
    assert!(allowed.contains("not both"));
}

#[test]
fn a_bad_range_is_refused_in_words() {
    for r in [
        "{ from = 10, to = 4 }",
        "{ from = 1, to = 4, step = 0 }",
        "{ from = 1 }",
        "{ from = 1, to = 100000 }",
        "{ from = 1.5, to = 4 }",
    ] {
        let (path, value, allowed) = one(&format!(
            "[[plan.vary]]\nfield = \"services[0].desired\"\nrange = {r}"
        ));
        assert_eq!(path, "plan.vary[0].range", "{r}");
        assert!(value.starts_with('{'), "{value}");
        assert!(allowed.contains("from ≤ to"), "{allowed}");
    }
}

#[test]
fn too_many_candidates_are_refused_before_any_is_built() {
    let dims: String = (0..4)
        .map(|_| "[[plan.vary]]\nfield = \"services[0].desired\"\nrange = { from = 1, to = 20 }\n")
        .collect();
    let (path, value, allowed) = one(&dims);
    assert_eq!(
        (path.as_str(), value.as_str()),
        ("plan.vary", "160000 candidates")
    );
    assert!(allowed.contains("at most 10000"));
}

#[test]
fn a_vary_flag_is_one_more_dimension() {
    let d = from_flag("services[0].desired=2, 4,6", 0).unwrap();
    assert_eq!(d.fields, ["services[0].desired"]);
    assert_eq!(d.values, ["2", "4", "6"]);
    let d = from_flag("services[0].desired+services[0].autoscaling.min=8", 1).unwrap();
    assert_eq!(d.fields.len(), 2);
    let e = from_flag("services[0].desired", 2).unwrap_err();
    assert_eq!(e.path, "--vary 2");
    assert!(from_flag("=1,2", 0).is_err());
    assert!(from_flag("a=", 0).is_err());
}
