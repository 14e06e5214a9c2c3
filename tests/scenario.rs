//! The fixture scenario: reproducible from its seed, loadable through the use cases into a
//! fresh database, and plannable.
//!
//! `ANTAR_REGENERATE=1 cargo test --test scenario` rewrites the committed fixture.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use antar::crypto::SecretBox;
use antar::demo::scenario::{self, DEFAULT_SEED, FIXTURE_PATH, Loaded, PartnerBehaviour, Scenario};
use antar::dispatch::Dispatch;
use antar::dispatch::intake::ListOrders;
use antar::dispatch::planning::PlanRequest;
use antar::domain::enrolment::Pause;
use antar::domain::time::DEFAULT_TZ;
use antar::domain::{OrderKind, OrderStatus, PartnerKind, Principal, Role, TokenId, Weekdays};
use antar::roads::{self, ImportOptions, RoadGraph};
use antar::store::Store;
use chrono::{Days, NaiveDate};

/// The embedded demo town, imported once per test binary.
fn town() -> Arc<RoadGraph> {
    static TOWN: OnceLock<Arc<RoadGraph>> = OnceLock::new();
    TOWN.get_or_init(|| {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/roads/banyuwangi-town.osm");
        let (graph, _) = roads::import(&path, &ImportOptions::default()).expect("the town imports");
        Arc::new(graph)
    })
    .clone()
}

fn admin() -> Principal {
    Principal {
        token_id: TokenId::new(),
        name: "scenario-test".into(),
        role: Role::Admin,
        site_id: None,
        partner_id: None,
    }
}

/// A Tuesday far enough ahead that no deliver_by is in the past.
fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2031, 3, 4).unwrap()
}

struct Db {
    dispatch: Dispatch,
    dir: PathBuf,
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn fresh_db() -> Db {
    let dir = std::env::temp_dir().join(format!("antar-scenario-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.join("antar.db").display()))
        .await
        .expect("open SQLite");
    store.migrate().await.expect("migrate");
    let secrets = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
    let dispatch = Dispatch::new(store, secrets, DEFAULT_TZ).with_roads(Some(town()));
    Db { dispatch, dir }
}

fn urls() -> Vec<String> {
    vec![
        "http://127.0.0.1:9/sim/a".into(),
        "http://127.0.0.1:9/sim/b".into(),
        "http://127.0.0.1:9/sim/kurir".into(),
    ]
}

async fn load(db: &Db, s: &Scenario) -> Loaded {
    scenario::load(&db.dispatch, &admin(), s, day(), &urls())
        .await
        .expect("the scenario loads")
}

/// Whether enrolment `i` gets lunch on `date`, from the scenario data alone.
fn due(s: &Scenario, i: usize, date: NaiveDate) -> bool {
    let e = &s.enrolments[i];
    let shift = |d: i32| {
        if d >= 0 {
            date.checked_add_days(Days::new(d as u64)).unwrap()
        } else {
            date.checked_sub_days(Days::new(d.unsigned_abs() as u64))
                .unwrap()
        }
    };
    let pauses: Vec<Pause> = e
        .pause
        .iter()
        .map(|p| Pause {
            from: shift(p.from_day),
            until: p.until_day.map(shift),
            reason: p.reason,
        })
        .collect();
    Weekdays::parse(&e.weekdays).unwrap().includes(date) && !pauses.iter().any(|p| p.covers(date))
}

#[test]
fn the_committed_fixture_is_the_generator_output() {
    let generated = Scenario::generate(&town(), DEFAULT_SEED).to_json();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(FIXTURE_PATH);
    if std::env::var_os("ANTAR_REGENERATE").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        eprintln!("rewrote {}", path.display());
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == generated,
        "{FIXTURE_PATH} differs from Scenario::generate(town, DEFAULT_SEED); \
         regenerate with ANTAR_REGENERATE=1 cargo test --test scenario"
    );
    assert!(
        Scenario::embedded().unwrap().to_json() == committed,
        "the embedded fixture does not round-trip"
    );
}

#[test]
fn the_scenario_looks_like_a_day_in_banyuwangi() {
    let s = Scenario::embedded().unwrap();
    s.check().expect("the fixture is consistent");
    assert_eq!(s.pharmacies.len(), 2);
    assert_eq!(s.kitchens.len(), 12);
    // Two ride-hailing partners, then a courier company's booking API as the last resort.
    let kinds: Vec<PartnerKind> = s.partners.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            PartnerKind::Webhook,
            PartnerKind::Webhook,
            PartnerKind::BookingApi
        ]
    );
    assert!(s.partners.windows(2).all(|w| w[0].rank < w[1].rank));
    let company = &s.partners[2];
    assert_eq!(company.capabilities.max_stops, 1);
    assert!(!company.capabilities.cold_box && !company.capabilities.controlled_handover);
    assert!(matches!(company.sim, PartnerBehaviour::Booking(_)));
    assert_eq!(s.recipients.len(), 300);
    assert_eq!(s.enrolments.len(), 300);
    assert!((120..=180).contains(&s.prescriptions.len()));
    let unmapped = s.recipients.iter().filter(|r| r.location.is_none()).count();
    assert!((2..=3).contains(&unmapped), "{unmapped} unmapped");
    // Every mapped home is on or near a ridable road, and every site is on one.
    let graph = town();
    for r in s.recipients.iter().filter_map(|r| r.location) {
        let snap = graph.snap(r).expect("homes snap");
        assert!(
            snap.distance_m <= 40.0,
            "{r} is {:.0} m off",
            snap.distance_m
        );
    }
    for site in s.pharmacies.iter().chain(&s.kitchens) {
        assert!(
            graph.snap(site.location).unwrap().distance_m < 1.0,
            "{}",
            site.name
        );
    }
    // Each recipient eats from one of the three nearest kitchens.
    for e in &s.enrolments {
        let Some(home) = s.recipients[e.recipient].location else {
            continue;
        };
        let mut d: Vec<f64> = s
            .kitchens
            .iter()
            .map(|k| k.location.distance_m(home))
            .collect();
        let mine = d[e.kitchen];
        d.sort_by(f64::total_cmp);
        assert!(
            mine <= d[2] + 1.0,
            "kitchen {mine:.0} m away, third nearest {:.0}",
            d[2]
        );
    }
    let n = s.prescriptions.len();
    let count = |f: &dyn Fn(&scenario::PrescriptionSpec) -> bool| {
        s.prescriptions.iter().filter(|p| f(p)).count()
    };
    assert!(count(&|p| p.cold_chain_max_minutes.is_some()) > 0);
    assert!(count(&|p| p.controlled) > 0);
    assert!(count(&|p| p.priority == antar::domain::Priority::Urgent) > 0);
    assert!(count(&|p| p.recipient.is_some()) > 0);
    assert!(count(&|p| p.recipient.is_some()) < n / 2);
    for p in &s.prescriptions {
        let within = (p.deliver_by - p.ready_at).num_minutes();
        assert!((120..=240).contains(&within), "{within} min");
        if let Some(m) = p.cold_chain_max_minutes {
            assert!((60..=120).contains(&m));
        }
    }
}

#[test]
fn a_partner_without_a_kind_is_a_webhook_partner_and_a_booking_api_takes_one_stop() {
    let s = Scenario::embedded().unwrap();
    // A scenario file written before partners had kinds.
    let mut v = serde_json::to_value(&s).unwrap();
    let partners = v["partners"].as_array_mut().unwrap();
    partners.truncate(2);
    for p in partners {
        p.as_object_mut().unwrap().remove("kind");
    }
    let old: Scenario = serde_json::from_value(v).unwrap();
    assert!(old.partners.iter().all(|p| p.kind == PartnerKind::Webhook));
    old.check().expect("an older scenario file still checks");

    let mut bad = s.clone();
    bad.partners[1].kind = PartnerKind::BookingApi;
    bad.partners[2].capabilities.max_stops = 3;
    let Err(antar::dispatch::DispatchError::Invalid(errors)) = bad.check() else {
        panic!("a booking API with webhook knobs or several stops is refused");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["partners[1].sim", "partners[2].capabilities.max_stops"]
    );
}

#[tokio::test]
async fn loading_creates_everything_and_the_day_s_meals() {
    let s = Scenario::embedded().unwrap();
    let db = fresh_db().await;
    let loaded = load(&db, &s).await;
    let d = &db.dispatch;
    let admin = admin();

    assert_eq!(loaded.pharmacies.len(), 2);
    assert_eq!(loaded.kitchens.len(), 12);
    assert_eq!(d.sites(&admin).await.unwrap().len(), 14);
    assert_eq!(loaded.partners.len(), 3);
    let partners = d.partners(&admin).await.unwrap();
    assert_eq!(partners.len(), 3);
    let company = partners
        .iter()
        .find(|p| p.name == s.partners[2].name)
        .unwrap();
    assert_eq!(company.kind, PartnerKind::BookingApi);
    assert_eq!(company.webhook_url.as_deref(), Some(urls()[2].as_str()));
    assert!(loaded.partners.iter().all(|p| p.token.len() > 10
        && p.outbound_secret.starts_with("whsec_")
        && p.inbound_secret.starts_with("whsec_")));
    assert_eq!(loaded.recipients.len(), s.recipients.len());
    assert_eq!(loaded.enrolments.len(), s.enrolments.len());
    assert_eq!(loaded.medicine_orders.len(), s.prescriptions.len());
    let controlled = s.prescriptions.iter().filter(|p| p.controlled).count();
    assert_eq!(loaded.pins.len(), controlled);
    assert!(loaded.pins.values().all(|pin| pin.len() == 6));

    // One lunch per due enrolment; the unmapped recipients' lunches wait for a location.
    let due: Vec<usize> = (0..s.enrolments.len())
        .filter(|&i| due(&s, i, day()))
        .collect();
    let unmapped_due = due
        .iter()
        .filter(|&&i| s.recipients[s.enrolments[i].recipient].location.is_none())
        .count();
    assert!(due.len() < s.enrolments.len(), "some are paused");
    assert_eq!(loaded.meal_day.created as usize, due.len());
    assert_eq!(loaded.meal_day.needs_location as usize, unmapped_due);
    assert_eq!(loaded.meal_orders.len(), due.len());

    let mut orders = Vec::new();
    for page in 1.. {
        let batch = d
            .list_orders(
                &admin,
                ListOrders {
                    date: Some(day()),
                    page,
                    per_page: 500,
                    ..ListOrders::default()
                },
            )
            .await
            .unwrap();
        let last = batch.len() < 500;
        orders.extend(batch);
        if last {
            break;
        }
    }
    assert_eq!(orders.len(), due.len() + s.prescriptions.len());
    let enrolments: HashSet<_> = orders.iter().filter_map(|o| o.enrolment_id).collect();
    assert_eq!(enrolments.len(), due.len(), "one meal per due enrolment");
    for o in &orders {
        let expected = if o.location.is_some() {
            OrderStatus::Ready
        } else {
            OrderStatus::NeedsLocation
        };
        assert_eq!(o.status, expected, "{} {:?}", o.recipient_name, o.kind);
        if o.kind == OrderKind::Medicine {
            assert!(o.location.is_some());
        }
    }
    assert_eq!(
        orders
            .iter()
            .filter(|o| o.status == OrderStatus::NeedsLocation)
            .count(),
        unmapped_due
    );
}

#[tokio::test]
async fn the_loaded_day_plans_nearly_every_ready_order() {
    let s = Scenario::embedded().unwrap();
    let db = fresh_db().await;
    let loaded = load(&db, &s).await;
    let ready = loaded.meal_orders.len() + loaded.medicine_orders.len()
        - loaded.meal_day.needs_location as usize;
    let plan = db
        .dispatch
        .preview_plan(
            &admin(),
            PlanRequest {
                site_id: None,
                date: Some(day()),
                time_limit: Duration::from_millis(300),
                seed: 7,
                ready_before: None,
            },
        )
        .await
        .expect("the day plans");
    eprintln!(
        "{} ready orders: {} routes, {} unplanned, {:.0} IDR",
        plan.orders,
        plan.routes.len(),
        plan.unplanned.len(),
        plan.cost_idr
    );
    assert_eq!(plan.orders, ready);
    let stops: usize = plan.routes.iter().map(|r| r.stops.len()).sum();
    assert_eq!(
        stops + plan.unplanned.len(),
        ready,
        "every ready order is accounted for"
    );
    assert!(
        plan.unplanned.len() <= ready / 20,
        "{} of {ready} unplanned: {:?}",
        plan.unplanned.len(),
        plan.unplanned
    );
    for u in &plan.unplanned {
        assert!(!u.code.is_empty() && !u.reason.is_empty(), "{u:?}");
    }
    assert!(plan.routes.iter().all(|r| r.stops.len() <= 8));
}

#[tokio::test]
async fn a_broken_scenario_is_refused_before_anything_is_stored() {
    let mut s = Scenario::embedded().unwrap();
    s.enrolments[0].kitchen = 99;
    s.recipients[1].phone = Some("+1 202 555 0100".into());
    s.prescriptions[0].deliver_by = s.prescriptions[0].ready_at;
    let db = fresh_db().await;
    let err = scenario::load(&db.dispatch, &admin(), &s, day(), &urls())
        .await
        .err()
        .expect("refused");
    let antar::dispatch::DispatchError::Invalid(errors) = err else {
        panic!("expected invalid input, got {err}");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "recipients[1].phone",
            "enrolments[0].kitchen",
            "prescriptions[0].deliver_by"
        ]
    );
    assert!(db.dispatch.sites(&admin()).await.unwrap().is_empty());

    // Too few partner endpoints is refused as well.
    let s = Scenario::embedded().unwrap();
    let err = scenario::load(&db.dispatch, &admin(), &s, day(), &urls()[..1])
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(err, antar::dispatch::DispatchError::Invalid(_)),
        "{err}"
    );
    assert!(db.dispatch.sites(&admin()).await.unwrap().is_empty());
}
