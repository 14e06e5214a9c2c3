//! Made-up people and words: courier names, plates, phones, reasons and notes, in Indonesian.

use rand::Rng;
use rand::seq::IndexedRandom;

use crate::domain::{LatLon, Phone};
use crate::webhooks::inbound::FailReason;

const FIRST_NAMES: &[&str] = &[
    "Agus", "Budi", "Dwi", "Eko", "Fajar", "Hadi", "Imam", "Joko", "Rizky", "Slamet", "Teguh",
    "Wahyu", "Yusuf", "Bayu", "Dedi", "Hendra", "Nur", "Rudi", "Sri", "Siti",
];
const LAST_NAMES: &[&str] = &[
    "Santoso",
    "Prasetyo",
    "Wibowo",
    "Hidayat",
    "Setiawan",
    "Kurniawan",
    "Saputra",
    "Susanto",
    "Hartono",
    "Purnomo",
    "Rahmawati",
    "Lestari",
];
/// Plate suffixes seen around Banyuwangi (region letters after the number).
const PLATE_SUFFIXES: &[&str] = &[
    "AB", "AC", "AD", "AE", "AF", "AK", "AL", "AM", "AN", "AR", "AS", "AT", "AU", "AV", "AW",
];

/// A courier: name, plate, phone.
pub(super) struct Courier {
    pub name: String,
    pub plate: String,
    pub phone: Phone,
}

/// A made-up courier with a Banyuwangi (`P`) plate and a mobile number.
pub(super) fn courier(rng: &mut impl Rng) -> Courier {
    let first = FIRST_NAMES.choose(rng).copied().unwrap_or("Agus");
    let last = LAST_NAMES.choose(rng).copied().unwrap_or("Santoso");
    let suffix = PLATE_SUFFIXES.choose(rng).copied().unwrap_or("AB");
    let plate = format!("P {} {suffix}", rng.random_range(1000..=9999));
    let number = format!(
        "+62812{:04}{:04}",
        rng.random_range(0..10_000),
        rng.random_range(0..10_000)
    );
    // Always a valid +62 mobile number (12 national digits at most).
    let phone = Phone::parse(&number)
        .unwrap_or_else(|_| Phone::parse("+6281200000000").expect("a valid fixed mobile number"));
    Courier {
        name: format!("{first} {last}"),
        plate,
        phone,
    }
}

/// Why the partner declines an offer.
pub(super) fn reject_reason(rng: &mut impl Rng) -> String {
    const REASONS: &[&str] = &[
        "Tidak ada kurir di sekitar lokasi jemput",
        "Semua kurir sedang penuh",
        "Tarif di bawah batas minimum mitra",
        "Area tujuan di luar jangkauan kurir",
    ];
    REASONS
        .choose(rng)
        .copied()
        .unwrap_or(REASONS[0])
        .to_owned()
}

/// A failed handover: a reason antar knows and the courier's own words.
pub(super) fn failure(rng: &mut impl Rng) -> (FailReason, String) {
    const NOT_HOME: &[&str] = &[
        "Rumah kosong, tetangga bilang ibu ke pasar",
        "Sudah diketuk dan ditelepon tiga kali, tidak ada jawaban",
        "Pintu terkunci, kata tetangga sedang ke rumah anaknya",
    ];
    const NOT_FOUND: &[&str] = &[
        "Alamat tidak ketemu, warga sekitar tidak kenal namanya",
        "Nomor rumah tidak ada di gang ini",
        "Titik peta di tengah sawah, tidak ada rumah",
    ];
    const REFUSED: &[&str] = &[
        "Penerima menolak, katanya tidak pesan",
        "Keluarga menolak menerima paket",
    ];
    let (reason, notes) = match rng.random_range(0..3) {
        0 => (FailReason::NotHome, NOT_HOME),
        1 => (FailReason::AddressNotFound, NOT_FOUND),
        _ => (FailReason::Refused, REFUSED),
    };
    let note = notes.choose(rng).copied().unwrap_or(notes[0]).to_owned();
    (reason, note)
}

/// The courier's words about a recipient found unwell, handed the parcel anyway or not.
pub(super) fn unwell_note(handed_over: bool, rng: &mut impl Rng) -> String {
    const HANDED_OVER: &[&str] = &[
        "Mbah demam dan lemas, tinggal sendirian",
        "Ibu batuk terus, katanya belum ke puskesmas",
        "Bapak pusing dan susah berdiri, makanan saya taruh di meja",
    ];
    const NOT_HANDED_OVER: &[&str] = &[
        "Kata tetangga sedang dibawa ke rumah sakit",
        "Penerima terbaring sakit, tidak ada yang bisa membukakan pintu",
    ];
    let notes = if handed_over {
        HANDED_OVER
    } else {
        NOT_HANDED_OVER
    };
    notes.choose(rng).copied().unwrap_or(notes[0]).to_owned()
}

/// What one of our couriers writes when nobody opened the door.
pub(super) fn not_home_note(rng: &mut impl Rng) -> String {
    const NOTES: &[&str] = &[
        "Rumah kosong, tetangga bilang mbah ke pasar",
        "Sudah diketuk dan ditelepon, tidak ada jawaban",
        "Pintu terkunci, kata tetangga sedang ke rumah anaknya",
    ];
    NOTES.choose(rng).copied().unwrap_or(NOTES[0]).to_owned()
}

/// What one of our couriers writes when the recipient would not take it.
pub(super) fn refused_note(rng: &mut impl Rng) -> String {
    const NOTES: &[&str] = &[
        "Mbah bilang sudah masak sendiri hari ini",
        "Penerima menolak, katanya tidak pesan",
        "Keluarga menolak menerima",
    ];
    NOTES.choose(rng).copied().unwrap_or(NOTES[0]).to_owned()
}

/// A note one of our couriers leaves about a stop now and then, outside any handover.
pub(super) fn door_note(rng: &mut impl Rng) -> String {
    const NOTES: &[&str] = &[
        "Mbah titip salam untuk dapur, masakannya enak",
        "Jalan masuk gang becek, motor harus ditinggal di depan",
        "Minta besok nasinya lebih lembek",
        "Atap dapur mbah bocor, mohon dicek petugas",
        "Anjing tetangga lepas, hati-hati di gang ini",
    ];
    NOTES.choose(rng).copied().unwrap_or(NOTES[0]).to_owned()
}

/// A point 500 m to 2 km from `p` in a random direction: where the courier happens to be.
pub(super) fn nearby(p: LatLon, rng: &mut impl Rng) -> LatLon {
    let distance = rng.random_range(500.0..2000.0);
    let bearing = rng.random_range(0.0..std::f64::consts::TAU);
    let dlat = distance * bearing.cos() / 111_320.0;
    let dlon = distance * bearing.sin() / (111_320.0 * p.lat().to_radians().cos().max(0.01));
    LatLon::new(p.lat() + dlat, p.lon() + dlon).unwrap_or(p)
}

/// A PIN that differs from `pin` (each digit moved by one), as a courier mishearing it.
pub(super) fn wrong_pin(pin: &str) -> String {
    let wrong: String = pin
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_digit((d + 1) % 10, 10).unwrap_or('0'),
            None => c,
        })
        .collect();
    if wrong == pin {
        format!("{pin}0")
    } else {
        wrong
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn couriers_have_banyuwangi_plates_and_mobile_numbers() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let c = courier(&mut rng);
            assert!(c.plate.starts_with("P "), "{}", c.plate);
            assert_eq!(c.plate.len(), 9, "{}", c.plate);
            assert!(c.phone.as_str().starts_with("+62812"), "{}", c.phone);
            assert!(c.name.contains(' '));
        }
    }

    #[test]
    fn a_wrong_pin_always_differs() {
        for pin in ["000000", "999999", "123456", "abc", ""] {
            assert_ne!(wrong_pin(pin), pin);
        }
    }

    #[test]
    fn nearby_points_are_within_two_kilometres() {
        let mut rng = StdRng::seed_from_u64(3);
        let p = LatLon::new(-8.2192, 114.3691).unwrap();
        for _ in 0..100 {
            let d = p.distance_m(nearby(p, &mut rng));
            assert!((450.0..2050.0).contains(&d), "{d}");
        }
    }
}
