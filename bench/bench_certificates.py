"""Benchmark: certificates (PDF/A-3 + signed Open Badges credential) per second, and a ZIP of 1,000.

    .venv/bin/python bench/bench_certificates.py                # human-readable
    .venv/bin/python bench/bench_certificates.py --json         # one JSON object
    .venv/bin/python bench/bench_certificates.py -n 50 -r 5 --zip 1000

Runs in one process on one core (the way a request handler or worker generates them); names
cycle through Latin, Turkish, Cyrillic, Arabic and Farsi so font loading and shaping are included.
"""
from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jwcrypto.jwk import JWK  # noqa: E402

from vamos_core.certificates import (  # noqa: E402
    CertificateData, IssuerSettings, ModuleInfo, SigningKey, certificate_filename, generate_certificate,
    new_code, write_zip,
)

NAMES = ["Ayşe Yılmaz-Müller", "Jürgen Weiß", "Şükrü Çağlayan", "Ольга Петрова", "فاطمة الزهراء",
         "مریم رضایی", "Nguyễn Thị Hồng", "Kwame Mensah-Boateng", "Αλέξανδρος Παπαδόπουλος", "Zofia Wąsowska"]


def module() -> ModuleInfo:
    try:
        from vamos_core.content import load_catalog

        return ModuleInfo.from_module(load_catalog(Path(__file__).resolve().parents[1] / "course_content").get("finanzierung"))
    except Exception:  # content not loadable: a module of the same size
        return ModuleInfo(id="finanzierung", title="Finanzierung", version="2026.2", hours=2.0,
                          objectives=tuple(f"Sie können Ziel {i} mit einem ausführlichen Satz von etwa "
                                           "zwanzig Wörtern beschreiben, wie ihn die Module haben." for i in range(6)))


def certificate_data(count: int, info: ModuleInfo) -> list[CertificateData]:
    issuer = IssuerSettings(issuer_id="https://lernen.vamos.example/", signatory_name="Dr. Maria Beispiel",
                            signatory_role="Geschäftsführung")
    start = datetime(2026, 11, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    items = []
    for i in range(count):
        code = new_code()
        items.append(CertificateData(
            learner_name=NAMES[i % len(NAMES)], learner_pseudonym=f"urn:uuid:00000000-0000-4000-8000-{i:012d}",
            module=info, completed_at=start + timedelta(minutes=i), verification_code=code,
            verify_url=f"https://lernen.vamos.example/verify/{code}", issuer=issuer, score=70 + i % 31,
        ))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=40, help="certificates per run (default 40)")
    parser.add_argument("-r", "--repeat", type=int, default=5, help="runs; the median is reported (default 5)")
    parser.add_argument("--zip", type=int, default=1000, help="certificates in the ZIP test, 0 to skip (default 1000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    jwk = JWK.generate(kty="RSA", size=2048)
    key = SigningKey(jwk.export_to_pem(private_key=True, password=None), jwk.thumbprint())
    info = module()
    generate_certificate(certificate_data(1, info)[0], key)  # warm-up: imports, font discovery

    rates = []
    sizes = []
    for _ in range(args.repeat):
        batch = certificate_data(args.n, info)
        began = time.perf_counter()
        for data in batch:
            pdf, _ = generate_certificate(data, key)
            sizes.append(len(pdf))
        rates.append(args.n / (time.perf_counter() - began))

    result = {
        "machine": f"{platform.processor() or platform.machine()}, Python {platform.python_version()}",
        "certificates_per_run": args.n,
        "runs": args.repeat,
        "certificates_per_second_median": round(statistics.median(rates), 2),
        "certificates_per_second_runs": [round(r, 2) for r in rates],
        "ms_per_certificate_median": round(1000 / statistics.median(rates), 1),
        "pdf_kib_median": round(statistics.median(sizes) / 1024, 1),
    }
    if args.zip:
        batch = certificate_data(args.zip, info)
        out = io.BytesIO()
        began = time.perf_counter()
        count = write_zip(((certificate_filename(d), generate_certificate(d, key)[0]) for d in batch), out)
        seconds = time.perf_counter() - began
        with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
            assert len(archive.namelist()) == count == args.zip
        result.update(zip_certificates=count, zip_seconds=round(seconds, 1), zip_mib=round(len(out.getvalue()) / 2**20, 1))

    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['certificates_per_second_median']} certificates/s (PDF/A-3 + VC-JWT), median of "
              f"{args.repeat} runs of {args.n}; {result['ms_per_certificate_median']} ms each, "
              f"PDF ~{result['pdf_kib_median']} KiB")
        if args.zip:
            print(f"ZIP of {result['zip_certificates']} certificates: {result['zip_seconds']} s, {result['zip_mib']} MiB")


if __name__ == "__main__":
    main()
