import io
import zipfile

import pytest

from vamos_core.certificates import IssuerSettings, certificate_filename, render_pdf, stream_zip, write_zip


def test_filenames_are_ascii_and_unique_per_code(make_data):
    latin = make_data("Ayşe Yılmaz-Müller")
    assert certificate_filename(latin) == f"zertifikat-testmodul-ayse-yilmaz-muller-{latin.verification_code[:4]}.pdf"
    arabic = make_data("فاطمة الزهراء")
    assert certificate_filename(arabic) == f"zertifikat-testmodul-{arabic.verification_code[:4]}.pdf"
    assert certificate_filename(arabic).isascii()


def test_zip_holds_every_certificate(make_data):
    items = [make_data(name) for name in ("Jürgen Weiß", "Ольга Петрова", "مریم رضایی")]
    out = io.BytesIO()
    assert write_zip(((certificate_filename(d), render_pdf(d)) for d in items), out) == 3
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert sorted(archive.namelist()) == sorted(certificate_filename(d) for d in items)
        assert all(archive.read(n).startswith(b"%PDF-") for n in archive.namelist())
    with pytest.raises(ValueError, match="duplicate"):
        write_zip([("a.pdf", b"1"), ("a.pdf", b"2")], io.BytesIO())


def test_streamed_zip_has_one_chunk_per_entry_and_reads_back():
    files = [(f"zertifikat-{i}.pdf", b"%PDF-1.7 " + bytes([i]) * (1000 + i)) for i in range(5)]
    chunks = list(stream_zip(iter(files)))
    assert len(chunks) == len(files) + 1  # one per entry, then the central directory
    assert len(chunks[0]) < 1300  # the first entry leaves before the second is read
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        assert archive.testzip() is None
        assert [(i.filename, i.compress_type) for i in archive.infolist()] == [
            (name, zipfile.ZIP_STORED) for name, _ in files]
        assert [archive.read(name) for name, _ in files] == [content for _, content in files]
    with pytest.raises(ValueError, match="duplicate"):
        list(stream_zip([("a.pdf", b"1"), ("a.pdf", b"2")]))


def test_issuer_settings_from_environment(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG")
    settings = IssuerSettings.from_env({
        "VAMOS_CERT_ORG_NAME": "Bündnis Beispiel e. V.", "VAMOS_CERT_ISSUER_ID": "https://lernen.example/",
        "VAMOS_CERT_LOGO": str(logo), "VAMOS_CERT_SIGNATORY_NAME": "A. Muster",
    })
    assert settings.organisation_name == "Bündnis Beispiel e. V." and settings.logo_path == logo
    assert settings.signatory_role is None
    default = IssuerSettings.from_env({})
    assert default.organisation_name.startswith("VAMOs – Verbandsakademie")
    with pytest.raises(ValueError, match="logo not found"):
        IssuerSettings.from_env({"VAMOS_CERT_LOGO": str(tmp_path / "missing.png")})


def test_logo_is_printed(make_data, issuer, tmp_path):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (300, 120), (31, 78, 95)).save(logo)
    with_logo = IssuerSettings(**{**issuer.__dict__, "logo_path": logo})
    pdf = render_pdf(make_data(issuer=with_logo))
    assert b"/Subtype /Image" in pdf
