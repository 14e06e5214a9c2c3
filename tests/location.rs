//! The location parser against real-world inputs, the published Open Location Code test vectors
//! and property tests (never panics; canonical text and Plus Codes read back to the same point).

use antar::domain::LatLon;
use antar::domain::location::{
    LocationError, ParsedLocation, Source, check_area, format, parse_location, plus_code,
};
use antar::domain::site::ServiceArea;
use proptest::prelude::*;

fn p(lat: f64, lon: f64) -> LatLon {
    LatLon::new(lat, lon).unwrap()
}

const DMS_LAT: f64 = -(8.0 + 13.0 / 60.0 + 8.8 / 3600.0);
const DMS_LON: f64 = 114.0 + 22.0 / 60.0 + 8.8 / 3600.0;

/// Banyuwangi town, used as the reference for short codes.
fn banyuwangi() -> LatLon {
    p(-8.2191, 114.3691)
}

#[test]
fn real_world_inputs_parse_to_the_expected_point_and_source() {
    use Source::*;
    #[rustfmt::skip]
    let cases: &[(&str, f64, f64, Source, bool)] = &[
        ("-8.2191, 114.3691", -8.2191, 114.3691, Pin, false),
        ("-8.2191,114.3691", -8.2191, 114.3691, Pin, false),
        ("-8.2191 114.3691", -8.2191, 114.3691, Pin, false),
        ("  -8.2191 ,  114.3691  ", -8.2191, 114.3691, Pin, false),
        ("-8,2191; 114,3691", -8.2191, 114.3691, Pin, false),
        ("-8,2191;114,3691", -8.2191, 114.3691, Pin, false),
        ("-8,2191 114,3691", -8.2191, 114.3691, Pin, false),
        ("-8,2191, 114,3691", -8.2191, 114.3691, Pin, false),
        ("8,5, 114,5", 8.5, 114.5, Pin, false),
        ("Koordinat: -8.2191, 114.3691", -8.2191, 114.3691, Pin, false),
        ("-8.2191; 114.3691", -8.2191, 114.3691, Pin, false),
        ("8.2191 S, 114.3691 E", -8.2191, 114.3691, Pin, false),
        ("8.2191S 114.3691E", -8.2191, 114.3691, Pin, false),
        ("S 8.2191 E 114.3691", -8.2191, 114.3691, Pin, false),
        ("S8.2191, E114.3691", -8.2191, 114.3691, Pin, false),
        ("8.2191 LS 114.3691 BT", -8.2191, 114.3691, Pin, false),
        ("8,2191 LS; 114,3691 BT", -8.2191, 114.3691, Pin, false),
        ("Lat: -8.2191, Lng: 114.3691", -8.2191, 114.3691, Pin, false),
        ("+8.5, +114.5", 8.5, 114.5, Pin, false),
        ("−8.2191, 114.3691", -8.2191, 114.3691, Pin, false),
        ("-8, 114", -8.0, 114.0, Pin, false),
        ("-8.2191°, 114.3691°", -8.2191, 114.3691, Pin, false),
        ("8.2191°S 114.3691°E", -8.2191, 114.3691, Pin, false),
        ("S8 13.147 E114 22.147", -(8.0 + 13.147 / 60.0), 114.0 + 22.147 / 60.0, Pin, false),
        ("-8.2191\t114.3691", -8.2191, 114.3691, Pin, false),
        ("114.3691, -8.2191", -8.2191, 114.3691, Pin, true),
        ("114.3691 -8.2191", -8.2191, 114.3691, Pin, true),
        ("114.3691 E, 8.2191 S", -8.2191, 114.3691, Pin, true),
        ("8°13'08.8\"S 114°22'08.8\"E", DMS_LAT, DMS_LON, Pin, false),
        ("8º13'08.8\"S 114º22'08.8\"E", DMS_LAT, DMS_LON, Pin, false),
        ("8°13′08.8″S 114°22′08.8″E", DMS_LAT, DMS_LON, Pin, false),
        ("8°13’08.8”S, 114°22’08.8”E", DMS_LAT, DMS_LON, Pin, false),
        ("8°13'08,8\"S 114°22'08,8\"E", DMS_LAT, DMS_LON, Pin, false),
        ("S 8° 13' 08.8\" E 114° 22' 08.8\"", DMS_LAT, DMS_LON, Pin, false),
        ("-8°13'08.8\" 114°22'08.8\"", DMS_LAT, DMS_LON, Pin, false),
        ("8 13 8.8 S 114 22 8.8 E", DMS_LAT, DMS_LON, Pin, false),
        ("8 13 8.8 S, 114 22 8.8 E", DMS_LAT, DMS_LON, Pin, false),
        ("-8 13 8.8 114 22 8.8", DMS_LAT, DMS_LON, Pin, false),
        ("8°13.147'S 114°22.147'E", -(8.0 + 13.147 / 60.0), 114.0 + 22.147 / 60.0, Pin, false),
        ("8 13.147 S 114 22.147 E", -(8.0 + 13.147 / 60.0), 114.0 + 22.147 / 60.0, Pin, false),
        ("https://www.google.com/maps/@-8.2191,114.3691,17z", -8.2191, 114.3691, Link, false),
        ("https://www.google.com/maps?q=-8.2191,114.3691", -8.2191, 114.3691, Link, false),
        ("https://www.google.com/maps?q=-8.2191%2C114.3691&z=17", -8.2191, 114.3691, Link, false),
        ("https://www.google.co.id/maps?ll=-8.2191,114.3691&z=15", -8.2191, 114.3691, Link, false),
        ("https://maps.google.com/?q=-8.2191,114.3691", -8.2191, 114.3691, Link, false),
        ("maps.google.com/?q=-8.2191,114.3691", -8.2191, 114.3691, Link, false),
        ("https://www.google.com/maps/search/?api=1&query=-8.2191%2C114.3691", -8.2191, 114.3691, Link, false),
        ("https://www.google.com/maps/search/-8.2191,+114.3691?entry=tts", -8.2191, 114.3691, Link, false),
        ("https://www.google.com/maps/place/RSUD+Blambangan/@-8.21,114.36,17z/data=!3m1!4b1!4m6!3m5!1s0x0:0x0!8m2!3d-8.2191!4d114.3691!16s%2Fg%2F1",
            -8.2191, 114.3691, Link, false),
        ("https://www.google.com/maps/place/8%C2%B013'08.8%22S+114%C2%B022'08.8%22E/@-8.2191,114.3691,17z",
            DMS_LAT, DMS_LON, Link, false),
        ("geo:-8.2191,114.3691", -8.2191, 114.3691, Link, false),
        ("geo:-8.2191,114.3691?z=17", -8.2191, 114.3691, Link, false),
        ("geo:-8.2191,114.3691,30;u=35", -8.2191, 114.3691, Link, false),
        ("geo:0,0?q=-8.2191,114.3691(Rumah Bu Siti)", -8.2191, 114.3691, Link, false),
        ("GEO:-8.2191,114.3691", -8.2191, 114.3691, Link, false),
        ("https://www.google.com/maps/dir/-8.3,114.3/-8.2191,114.3691/@-8.25,114.33,13z", -8.2191, 114.3691, Link, false),
        ("https://maps.google.com/maps?q=-8.2191%2C114.3691&z=17&hl=id", -8.2191, 114.3691, Link, false),
        ("https://maps.apple.com/?ll=-8.2191,114.3691&q=Rumah", -8.2191, 114.3691, Link, false),
        ("https://www.openstreetmap.org/#map=17/-8.2191/114.3691", -8.2191, 114.3691, Link, false),
        ("https://www.openstreetmap.org/?mlat=-8.2191&mlon=114.3691#map=17/-8.2/114.3", -8.2191, 114.3691, Link, false),
        ("https://osm.org/?mlat=-8.2191&mlon=114.3691", -8.2191, 114.3691, Link, false),
    ];
    for &(input, lat, lon, source, swapped) in cases {
        let got =
            parse_location(input, None).unwrap_or_else(|e| panic!("{input:?} was refused: {e}"));
        assert!(
            (got.point.lat() - lat).abs() < 1e-6 && (got.point.lon() - lon).abs() < 1e-6,
            "{input:?} gave {} instead of {lat}, {lon}",
            got.point
        );
        assert_eq!(got.source, source, "{input:?}");
        assert_eq!(got.swapped, swapped, "{input:?}");
        assert!(
            got.precision_m > 0.0 && got.precision_m < 100_000.0,
            "{input:?}"
        );
    }
}

#[test]
fn precision_follows_the_digits_given() {
    let coarse = parse_location("-8.2, 114.4", None).unwrap();
    let fine = parse_location("-8.219100, 114.369100", None).unwrap();
    let dms = parse_location("8°13'08.8\"S 114°22'08.8\"E", None).unwrap();
    // Half of 0.1° is about 5.5 km north-south; six decimals are under 10 cm.
    assert!(
        (5_000.0..8_000.0).contains(&coarse.precision_m),
        "{}",
        coarse.precision_m
    );
    assert!(fine.precision_m < 0.1, "{}", fine.precision_m);
    // Half of 0.1 second of arc is about 1.5 m north-south.
    assert!((1.5..2.5).contains(&dms.precision_m), "{}", dms.precision_m);
    let code = parse_location("6P3Q8XHG+VQ", None).unwrap();
    // A 10-digit cell is 1/8000° square, about 14 × 14 m: half-diagonal about 9.8 m.
    assert!(
        (9.0..10.0).contains(&code.precision_m),
        "{}",
        code.precision_m
    );
}

#[test]
fn every_kind_of_bad_input_gets_its_own_clear_error() {
    let err = |s: &str| parse_location(s, None).unwrap_err();
    assert_eq!(err("   "), LocationError::Empty);
    assert_eq!(err("").code(), "location_empty");
    assert!(matches!(
        err("rumah pak RT"),
        LocationError::Unrecognised { .. }
    ));
    assert!(matches!(err("-8.2191"), LocationError::Unrecognised { .. }));
    assert!(matches!(err("1, 2, 3"), LocationError::Unrecognised { .. }));
    assert!(matches!(
        err("8°61'0\"S 114°0'0\"E"),
        LocationError::Unrecognised { .. }
    ));
    assert!(matches!(
        err("8.5°13'S 114°22'E"),
        LocationError::Unrecognised { .. }
    ));
    assert!(matches!(
        err("-8.2191, 214.3691"),
        LocationError::OutOfRange { .. }
    ));
    assert!(matches!(err("195, 200"), LocationError::OutOfRange { .. }));
    assert!(matches!(
        err("-8,2191,114,3691"),
        LocationError::Ambiguous { .. }
    ));
    assert!(matches!(err("8 S, 114 S"), LocationError::Ambiguous { .. }));
    assert!(matches!(
        err("8XHG+VQ"),
        LocationError::ShortPlusCodeNeedsReference(_)
    ));
    assert!(matches!(
        err("8XHG+VQ Banyuwangi"),
        LocationError::ShortPlusCodeNeedsReference(_)
    ));
    assert!(matches!(
        err("6P3Q8XHG+V"),
        LocationError::InvalidPlusCode(_)
    ));
    assert!(matches!(
        err("https://www.google.com/maps/search/RSUD+Blambangan"),
        LocationError::LinkWithoutCoordinates(_)
    ));
    assert!(matches!(
        err("geo:0,0?q=Pasar+Banyuwangi"),
        LocationError::LinkWithoutCoordinates(_)
    ));
    assert!(matches!(
        err("https://example.com/?q=-8.2,114.3"),
        LocationError::Unrecognised { .. }
    ));
    assert!(matches!(
        err(&"9".repeat(5000)),
        LocationError::TooLong(5000)
    ));
    // Messages name what was expected.
    assert!(
        err("rumah pak RT")
            .to_string()
            .contains("-8.2191, 114.3691")
    );
    assert!(err("8XHG+VQ").to_string().contains("reference"));
}

#[test]
fn short_links_are_refused_with_advice_in_indonesian_then_english() {
    for url in [
        "https://maps.app.goo.gl/AbCdEf123",
        "https://goo.gl/maps/AbCdEf123",
        "maps.app.goo.gl/xyz",
    ] {
        let e = parse_location(url, None).unwrap_err();
        assert!(matches!(e, LocationError::ShortLink(_)), "{url}");
        let msg = e.to_string();
        let (id, en) = (
            msg.find("buka tautan").unwrap(),
            msg.find("open it on the phone").unwrap(),
        );
        assert!(id < en, "{msg}");
        assert!(msg.contains("salin koordinat"), "{msg}");
    }
}

#[test]
fn plus_codes_full_and_short_with_a_place_name() {
    // Banyuwangi town centre.
    let full = parse_location("6P3PQ9J9+9J", None).unwrap();
    assert_eq!(full.source, Source::PlusCode);
    assert!(full.point.distance_m(banyuwangi()) < 15.0);
    assert_eq!(plus_code::encode(full.point, 10), "6P3PQ9J9+9J");
    for input in [
        "Q9J9+9J",
        "q9j9+9j",
        "Q9J9+9J Banyuwangi",
        "Q9J9+9J, Kebalenan, Banyuwangi",
        "J9+9J",
    ] {
        let short = parse_location(input, Some(banyuwangi())).unwrap();
        assert_eq!(short.point, full.point, "{input}");
        assert_eq!(short.source, Source::PlusCode);
    }
    // A full code ignores the reference, however far it is (this one is in Bali).
    let bali = parse_location("6P3Q8XHG+VQ", None).unwrap();
    let far = parse_location("6P3Q8XHG+VQ", Some(p(52.0, 4.0))).unwrap();
    assert_eq!(far.point, bali.point);
    // Inside a Google link too.
    let link = parse_location(
        "https://www.google.com/maps?q=Q9J9%2B9J+Banyuwangi",
        Some(banyuwangi()),
    )
    .unwrap();
    assert_eq!(link.point, full.point);
}

#[test]
fn official_decoding_vectors() {
    // code, length, latLo, lngLo, latHi, lngHi from the specification's decoding test data.
    #[rustfmt::skip]
    let cases: &[(&str, usize, f64, f64, f64, f64)] = &[
        ("7FG49Q00+", 6, 20.35, 2.75, 20.4, 2.8),
        ("7FG49QCJ+2V", 10, 20.37, 2.782125, 20.370125, 2.78225),
        ("7FG49QCJ+2VX", 11, 20.3701, 2.78221875, 20.370125, 2.78225),
        ("7FG49QCJ+2VXGJ", 13, 20.370113, 2.782234375, 20.370114, 2.78223632813),
        ("8FVC2222+22", 10, 47.0, 8.0, 47.000125, 8.000125),
        ("4VCPPQGP+Q9", 10, -41.273125, 174.785875, -41.273, 174.786),
        ("62G20000+", 4, 0.0, -180.0, 1.0, -179.0),
        ("22220000+", 4, -90.0, -180.0, -89.0, -179.0),
        ("22222222+22", 10, -90.0, -180.0, -89.999875, -179.999875),
        ("6VGX0000+", 4, 0.0, 179.0, 1.0, 180.0),
        ("6FH32222+222", 11, 1.0, 1.0, 1.000025, 1.00003125),
        ("CFX30000+", 4, 89.0, 1.0, 90.0, 2.0),
        ("CFX3X2X2+X2", 10, 89.999875, 1.0, 90.0, 1.000125),
        ("84000000+", 2, 30.0, -140.0, 50.0, -120.0),
        ("849VGJQF+VX7QR3J", 15, 37.53966912, -122.3750698242, 37.53966916, -122.3750697021),
        ("849VGJQF+VX7QR3J7QR3J", 15, 37.53966912, -122.3750698242, 37.53966916, -122.3750697021),
    ];
    for &(code, len, s, w, n, e) in cases {
        let a = plus_code::decode(code).unwrap_or_else(|err| panic!("{code}: {err}"));
        assert_eq!(a.code_length, len, "{code}");
        for (got, want) in [(a.south, s), (a.west, w), (a.north, n), (a.east, e)] {
            assert!((got - want).abs() < 1e-9, "{code}: {a:?}");
        }
    }
}

#[test]
fn official_encoding_vectors() {
    #[rustfmt::skip]
    let cases: &[(f64, f64, usize, &str)] = &[
        (20.375, 2.775, 6, "7FG49Q00+"),
        (20.3700625, 2.7821875, 10, "7FG49QCJ+2V"),
        (20.3701125, 2.782234375, 11, "7FG49QCJ+2VX"),
        (20.3701135, 2.78223535156, 13, "7FG49QCJ+2VXGJ"),
        (47.0000625, 8.0000625, 10, "8FVC2222+22"),
        (-41.2730625, 174.7859375, 10, "4VCPPQGP+Q9"),
        (0.5, -179.5, 4, "62G20000+"),
        (-89.9999375, -179.9999375, 10, "22222222+22"),
        (0.5, 179.5, 4, "6VGX0000+"),
        (1.0, 1.0, 11, "6FH32222+222"),
        (90.0, 1.0, 4, "CFX30000+"),
        (90.0, 1.0, 10, "CFX3X2X2+X2"),
        (1.0, 180.0, 4, "62H20000+"),
        (1.2, 3.4, 10, "6FH56C22+22"),
        (37.539669125, -122.375069724, 15, "849VGJQF+VX7QR3J"),
        (37.539669125, -122.375069724, 100, "849VGJQF+VX7QR3J"),
        (35.6, 3.033, 10, "8F75J22M+26"),
        (-48.71, 142.78, 8, "4R347QRJ+"),
        (-2.804, 7.003, 13, "6F9952W3+C6222"),
        (-6.2, 96.6, 13, "6M5RRJ22+22222"),
        (-4.542, 148.638, 13, "6R7CFJ5Q+66222"),
        (80.0100000001, 58.57, 15, "CHGW2H6C+2222222"),
        (80.0099999999, 58.57, 15, "CHGW2H5C+X2RRRRR"),
        (-80.0099999999, 58.57, 15, "2HFWXHRC+2222222"),
        (-80.0100000001, 58.57, 15, "2HFWXHQC+X2RRRRR"),
        (47.00000008, 8.00022229, 15, "8FVC2222+235235C"),
        (-28.1217794010122, -154.066811473758, 15, "5337VWHM+77PR2GR"),
        (-80.0, -170.0, 2, "22000000+"),
    ];
    for &(lat, lon, len, want) in cases {
        assert_eq!(
            plus_code::encode(p(lat, lon), len),
            want,
            "{lat},{lon} len {len}"
        );
    }
}

#[test]
fn official_validity_vectors() {
    use plus_code::Kind::*;
    #[rustfmt::skip]
    let cases: &[(&str, Option<plus_code::Kind>)] = &[
        ("8FWC2345+G6", Some(Full)), ("8FWC2345+G6G", Some(Full)), ("8fwc2345+", Some(Full)),
        ("8FWCX400+", Some(Full)), ("WC2345+G6g", Some(Short)), ("2345+G6", Some(Short)),
        ("45+G6", Some(Short)), ("+G6", Some(Short)), ("G+", None), ("+", None),
        ("8FWC2345+G", None), ("8FWC2_45+G6", None), ("8FWC2η45+G6", None),
        ("8FWC2345+G6+", None), ("8FWC2345G6+", None), ("8FWC2300+G6", None),
        ("WC2300+G6g", None), ("WC2345+G", None), ("WC2300+", None),
        ("849VGJQF+VX7QR3J", Some(Full)), ("849VGJQF+VX7QR3U", None),
        ("849VGJQF+VX7QR3JW", Some(Full)), ("849VGJQF+VX7QR3JU", None),
    ];
    for &(code, want) in cases {
        assert_eq!(plus_code::kind(code), want, "{code}");
    }
}

#[test]
fn official_short_code_recovery_vectors() {
    #[rustfmt::skip]
    let cases: &[(&str, f64, f64, &str)] = &[
        ("9C3W9QCJ+2VX", 51.3701125, -1.217765625, "+2VX"),
        ("9C3W9QCJ+2VX", 51.3708675, -1.217765625, "CJ+2VX"),
        ("9C3W9QCJ+2VX", 51.3693575, -1.217765625, "CJ+2VX"),
        ("9C3W9QCJ+2VX", 51.3701125, -1.218520625, "CJ+2VX"),
        ("9C3W9QCJ+2VX", 51.3852125, -1.217765625, "9QCJ+2VX"),
        ("9C3W9QCJ+2VX", 51.3701125, -1.202665625, "9QCJ+2VX"),
        ("8FJFW222+", 42.899, 9.012, "22+"),
        ("796RXG22+", 14.95125, -23.5001, "22+"),
        ("8FRCXGRF+PM", 47.00, 8.55, "XGRF+PM"),
        ("CFX22222+22", 89.6, 0.0, "2222+22"),
        ("2CXXXXXX+XX", -81.0, 0.0, "XXXXXX+XX"),
    ];
    for &(full, lat, lon, short) in cases {
        assert_eq!(
            plus_code::recover_nearest(short, p(lat, lon)).unwrap(),
            full,
            "{short}"
        );
    }
}

#[test]
fn short_code_recovery_crosses_a_cell_boundary_near_the_reference() {
    // Latitude -8.2 is a boundary of 0.05° cells: the reference sits just north of it and the
    // house just south, so the reference's own leading digits name the wrong cell.
    let house = p(-8.20004, 114.36);
    let reference = p(-8.19990, 114.36);
    let full = plus_code::encode(house, 10);
    assert_ne!(&plus_code::encode(reference, 10)[..6], &full[..6]);
    let got = parse_location(&full[6..], Some(reference)).unwrap();
    assert_eq!(got.point, plus_code::decode(&full).unwrap().center());
    // Longitude 114 is a boundary of 1° cells (four leading digits removed).
    let house = p(-8.21, 113.99999);
    let reference = p(-8.21, 114.00002);
    let full = plus_code::encode(house, 11);
    assert_ne!(&plus_code::encode(reference, 10)[..4], &full[..4]);
    let got = parse_location(&full[4..], Some(reference)).unwrap();
    assert_eq!(got.point, plus_code::decode(&full).unwrap().center());
    // A reference more than half a cell away recovers a different (wrong) place: the code is
    // only as good as its reference, which is why callers pass the village, not the regency.
    let far_reference = p(-8.21, 114.6);
    let got = parse_location(&full[4..], Some(far_reference)).unwrap();
    assert!(got.point.distance_m(house) > 50_000.0);
}

#[test]
fn the_canonical_format_reads_back() {
    let got = parse_location("8°13'08.8\"S 114°22'08.8\"E", None).unwrap();
    assert_eq!(got.to_string(), "-8.219111, 114.369111");
    assert_eq!(format(banyuwangi()), "-8.219100, 114.369100");
    let back: ParsedLocation = parse_location(&got.to_string(), None).unwrap();
    assert!(back.point.distance_m(got.point) < 0.1);
}

#[test]
fn points_outside_the_service_area_are_refused_and_a_lost_minus_sign_is_noticed() {
    let area = ServiceArea::Bbox {
        min: p(-8.8, 113.8),
        max: p(-7.7, 114.6),
    };
    assert_eq!(check_area(banyuwangi(), &area), Ok(()));
    let e = check_area(p(8.2191, 114.3691), &area).unwrap_err();
    assert_eq!(
        e,
        LocationError::OutsideArea {
            point: p(8.2191, 114.3691),
            minus_sign_missing: true
        }
    );
    assert!(e.to_string().contains("minus sign"));
    let e = check_area(p(-6.2, 106.8), &area).unwrap_err();
    assert!(matches!(
        e,
        LocationError::OutsideArea {
            minus_sign_missing: false,
            ..
        }
    ));
}

proptest! {
    #[test]
    fn parsing_never_panics_on_arbitrary_text(s in "\\PC{0,64}") {
        let _ = parse_location(&s, Some(banyuwangi()));
        let _ = parse_location(&s, None);
    }

    #[test]
    fn parsing_never_panics_on_location_like_text(
        s in "[-+0-9.,;: NSEWLUBT°º'\"′″/?&#=@!%a-z]{0,40}",
        prefix in prop::sample::select(vec![
            "", "geo:", "https://www.google.com/maps/", "https://www.google.com/maps?q=",
            "https://www.openstreetmap.org/#map=", "https://osm.org/?mlat=", "6P3Q", "8XHG+",
        ]),
    ) {
        let input = format!("{prefix}{s}");
        let _ = parse_location(&input, Some(banyuwangi()));
        let _ = parse_location(&input, None);
    }

    #[test]
    fn the_canonical_format_parses_back_to_the_same_point(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0) {
        let pt = p(lat, lon);
        let text = format(pt);
        let got = parse_location(&text, None).unwrap();
        prop_assert!(!got.swapped);
        prop_assert!((got.point.lat() - lat).abs() <= 5.0001e-7, "{text}");
        prop_assert!((got.point.lon() - lon).abs() <= 5.0001e-7, "{text}");
        prop_assert!(got.point.distance_m(pt) <= got.precision_m + 1e-6, "{text}");
    }

    #[test]
    fn every_encoded_plus_code_decodes_to_a_cell_containing_the_point(
        lat in -90.0f64..=90.0,
        lon in -180.0f64..=180.0,
        len in prop::sample::select(vec![2usize, 4, 6, 8, 10, 11, 12, 13, 14, 15]),
    ) {
        let pt = p(lat, lon);
        let code = plus_code::encode(pt, len);
        let got = parse_location(&code, None).unwrap();
        prop_assert_eq!(got.source, Source::PlusCode);
        let a = plus_code::decode(&code).unwrap();
        prop_assert_eq!(a.code_length, len);
        let eps = 1e-9;
        prop_assert!(a.south - eps <= lat && lat <= a.north + eps, "{code} {a:?}");
        prop_assert!(a.west - eps <= lon && lon <= a.east + eps, "{code} {a:?}");
        prop_assert!((got.point.lat() - lat).abs() <= (a.north - a.south) / 2.0 + eps);
        prop_assert!((got.point.lon() - lon).abs() <= (a.east - a.west) / 2.0 + eps);
        prop_assert_eq!(plus_code::encode(got.point, len), code);
    }

    #[test]
    fn short_codes_recover_the_full_code_near_the_reference(
        lat in -11.0f64..6.0,
        lon in 95.0f64..141.0,
        dlat in -0.024f64..0.024,
        dlon in -0.024f64..0.024,
        len in prop::sample::select(vec![10usize, 11]),
    ) {
        // Removing four digits leaves 1° cells; a reference well within half of that recovers.
        let full = plus_code::encode(p(lat, lon), len);
        let reference = p(lat + dlat, lon + dlon);
        prop_assert_eq!(plus_code::recover_nearest(&full[4..], reference).unwrap(), full.clone());
        let got = parse_location(&format!("{} Banyuwangi", &full[4..]), Some(reference)).unwrap();
        prop_assert_eq!(got.point, plus_code::decode(&full).unwrap().center());
    }
}
