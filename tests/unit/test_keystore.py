"""The issuer's encrypted key store (issuer/keystore.py)."""

from __future__ import annotations

import base64
import json
import os
import pickle
import shutil
import stat
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import issuer.keystore as keystore_module
from issuer.i18n_zh_keys import ZH
from issuer.keyfile import load_key_pair
from issuer.keystore import (
    DEFAULT_SCRYPT_N,
    FILE_SUFFIX,
    KeyStore,
    KeyStoreError,
    Passphrase,
    StoredKey,
    read_passphrase,
)
from verifier.i18n import placeholders
from verifier.multikey import encode_ed25519_secret_multibase

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TEST_STORE = FIXTURES / "keystore" / "TEST-store"
TEST_PASSPHRASE_FILE = FIXTURES / "keystore" / "TEST-passphrase.txt"
TEST_KEY_FINGERPRINT = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"

# TEST passphrases, for these tests only.
SECRET = "TEST-correct horse battery staple"  # noqa: S105 - a TEST passphrase
OTHER_SECRET = "TEST-not the right passphrase"  # noqa: S105 - a TEST passphrase
FAST_N = 2**10
VM = "did:key:z6Mk#z6Mk"


@pytest.fixture
def passphrase() -> Passphrase:
    return Passphrase(SECRET)


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def store(directory: Path, passphrase: Passphrase) -> KeyStore:
    return KeyStore(directory, passphrase, scrypt_n=FAST_N)


def _error(excinfo: pytest.ExceptionInfo[KeyStoreError]) -> KeyStoreError:
    return excinfo.value


def _rewrite(path: Path, change: Any) -> None:
    document = json.loads(path.read_text("utf-8"))
    change(document)
    path.write_text(json.dumps(document), "utf-8")
    path.chmod(0o600)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


# --- Round trip ------------------------------------------------------------------------------


def test_generate_list_get_signer_round_trip(store: KeyStore, directory: Path) -> None:
    key = store.generate()
    assert key.fingerprint.startswith("z6Mk")
    assert key.fingerprint == key.public_key.multibase
    assert key.path == directory / f"{key.fingerprint}{FILE_SUFFIX}"
    assert key.created.tzinfo is not None
    assert store.list() == [key]
    assert store.get(key.fingerprint) == key

    signer = store.signer(key.fingerprint, VM)
    assert signer.verification_method == VM
    assert signer.public_key == key.public_key
    signature = signer.sign(b"a micro-major certificate")
    key.public_key.verify(signature, b"a micro-major certificate")

    # A second process (a fresh store) decrypts the file from disk.
    fresh = KeyStore(directory, Passphrase(SECRET))
    fresh.signer(key.fingerprint, VM).public_key.verify(fresh.signer(key.fingerprint, VM).sign(b"x"), b"x")


def test_files_are_private_and_the_directory_is_created_0700(store: KeyStore, directory: Path) -> None:
    key = store.generate()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(key.path.stat().st_mode) == 0o600


def test_file_format_version_1(store: KeyStore) -> None:
    key = store.generate()
    document = json.loads(key.path.read_text("utf-8"))
    assert document["version"] == 1
    assert document["type"] == "microcred-encrypted-ed25519"
    assert document["publicKeyMultibase"] == key.fingerprint
    assert document["created"].endswith("Z")
    assert document["kdf"]["name"] == "scrypt"
    assert (document["kdf"]["n"], document["kdf"]["r"], document["kdf"]["p"]) == (FAST_N, 8, 1)
    assert len(_unb64(document["kdf"]["salt"])) == 16
    assert document["cipher"] == {"name": "AES-256-GCM", "nonce": document["cipher"]["nonce"]}
    assert len(_unb64(document["cipher"]["nonce"])) == 12
    assert len(_unb64(document["ciphertext"])) == 32 + 16


def test_default_cost_is_2_to_the_15() -> None:
    assert DEFAULT_SCRYPT_N == 2**15
    with pytest.raises(ValueError, match="power of two"):
        KeyStore(Path("unused"), None, scrypt_n=1000)


def test_list_sorts_several_keys_and_ignores_other_files(store: KeyStore, directory: Path) -> None:
    keys = [store.generate() for _ in range(3)]
    (directory / "README.md").write_text("not a key")
    listed = store.list()
    assert {k.fingerprint for k in listed} == {k.fingerprint for k in keys}
    assert listed == sorted(listed, key=lambda k: (k.created, k.fingerprint))


def test_list_of_a_missing_directory_is_empty(tmp_path: Path) -> None:
    assert KeyStore(tmp_path / "nothing-here", None).list() == []


def test_list_and_get_work_without_a_passphrase(store: KeyStore, directory: Path) -> None:
    key = store.generate()
    public_only = KeyStore(directory, None)
    assert public_only.list() == [key]
    assert public_only.get(key.fingerprint) == key


def test_signer_without_a_passphrase_says_how_to_configure_one(store: KeyStore, directory: Path) -> None:
    key = store.generate()
    with pytest.raises(KeyStoreError) as excinfo:
        KeyStore(directory, None).signer(key.fingerprint, VM)
    assert _error(excinfo).reason == "no-passphrase"
    assert "MICROCRED_KEY_PASSPHRASE" in str(excinfo.value)
    assert "MICROCRED_KEY_PASSPHRASE_FILE" in str(excinfo.value)
    with pytest.raises(KeyStoreError, match="MICROCRED_KEY_PASSPHRASE_FILE"):
        KeyStore(directory, None).generate()


def test_import_key_from_a_multikey_file(store: KeyStore) -> None:
    pair = load_key_pair(FIXTURES / "keys" / "TEST-other-ed25519.keypair.json")
    key = store.import_key(pair.private_key)
    assert key.public_key == pair.public_key
    signer = store.signer(key.fingerprint, pair.did_key_method)
    pair.public_key.verify(signer.sign(b"migrated"), b"migrated")


def test_a_key_is_decrypted_once_per_store(
    store: KeyStore, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = store.generate()
    fresh = KeyStore(directory, Passphrase(SECRET))
    calls: list[int] = []
    derive = keystore_module._derive_key

    def counting(passphrase: Passphrase, salt: bytes, n: int) -> bytes:
        calls.append(n)
        return derive(passphrase, salt, n)

    monkeypatch.setattr(keystore_module, "_derive_key", counting)
    first = fresh.signer(key.fingerprint, VM)
    second = fresh.signer(key.fingerprint, "did:example:other#key-1")
    assert calls == [FAST_N]
    assert second.verification_method == "did:example:other#key-1"
    key.public_key.verify(second.sign(b"m"), b"m")
    key.public_key.verify(first.sign(b"m"), b"m")


def test_a_file_records_its_cost_so_any_store_reads_it(store: KeyStore, directory: Path) -> None:
    key = store.generate()  # written with 2**10
    default_cost = KeyStore(directory, Passphrase(SECRET))
    assert default_cost.signer(key.fingerprint, VM).public_key == key.public_key


def test_passphrase_is_normalised_to_nfc(directory: Path) -> None:
    composed = "TEST-Passwört-über-alles"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    key = KeyStore(directory, Passphrase(composed), scrypt_n=FAST_N).generate()
    assert (
        KeyStore(directory, Passphrase(decomposed)).signer(key.fingerprint, VM).public_key == key.public_key
    )


# --- Decryption failures: one message for a wrong passphrase and a damaged file --------------


def _decrypt_error(directory: Path, fingerprint: str, secret: str = SECRET) -> KeyStoreError:
    with pytest.raises(KeyStoreError) as excinfo:
        KeyStore(directory, Passphrase(secret)).signer(fingerprint, VM)
    return excinfo.value


def test_wrong_passphrase(store: KeyStore, directory: Path) -> None:
    key = store.generate()
    error = _decrypt_error(directory, key.fingerprint, OTHER_SECRET)
    assert error.reason == "decryption-failed"
    assert key.fingerprint in str(error)
    assert "passphrase is wrong or the key file" in str(error)


def test_tampered_ciphertext_gives_the_same_message_as_a_wrong_passphrase(
    store: KeyStore, directory: Path
) -> None:
    key = store.generate()
    wrong = _decrypt_error(directory, key.fingerprint, OTHER_SECRET)

    def flip(document: dict[str, Any]) -> None:
        data = bytearray(_unb64(document["ciphertext"]))
        data[0] ^= 1
        document["ciphertext"] = _b64(bytes(data))

    _rewrite(key.path, flip)
    tampered = _decrypt_error(directory, key.fingerprint)
    assert tampered.reason == wrong.reason == "decryption-failed"
    assert str(tampered) == str(wrong)
    assert tampered.message == wrong.message


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda d: d["kdf"].update(salt=_b64(b"\x00" * 16)), id="salt"),
        pytest.param(lambda d: d["cipher"].update(nonce=_b64(b"\x00" * 12)), id="nonce"),
        pytest.param(lambda d: d["kdf"].update(n=2**11), id="cost"),
    ],
)
def test_tampered_parameters_fail_to_decrypt(store: KeyStore, directory: Path, change: Any) -> None:
    key = store.generate()
    _rewrite(key.path, change)
    assert _decrypt_error(directory, key.fingerprint).reason == "decryption-failed"


def test_swapped_ciphertexts_between_two_files_fail(store: KeyStore, directory: Path) -> None:
    first, second = store.generate(), store.generate()
    one = json.loads(first.path.read_text("utf-8"))
    two = json.loads(second.path.read_text("utf-8"))
    for field in ("kdf", "cipher", "ciphertext"):
        one[field], two[field] = two[field], one[field]
    first.path.write_text(json.dumps(one), "utf-8")
    second.path.write_text(json.dumps(two), "utf-8")
    assert _decrypt_error(directory, first.fingerprint).reason == "decryption-failed"
    assert _decrypt_error(directory, second.fingerprint).reason == "decryption-failed"


def test_a_file_renamed_to_another_key_is_refused(store: KeyStore, directory: Path) -> None:
    first, second = store.generate(), store.generate()
    second.path.unlink()
    shutil.copy(first.path, second.path)
    second.path.chmod(0o600)
    with pytest.raises(KeyStoreError) as excinfo:
        KeyStore(directory, Passphrase(SECRET)).signer(second.fingerprint, VM)
    assert _error(excinfo).reason == "name-mismatch"
    assert first.fingerprint + FILE_SUFFIX in str(excinfo.value)
    with pytest.raises(KeyStoreError, match="its name must be"):
        store.list()


# --- Refused files ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o602])
def test_unsafe_permissions_are_refused(store: KeyStore, directory: Path, mode: int) -> None:
    key = store.generate()
    key.path.chmod(mode)
    for attempt in (
        lambda: KeyStore(directory, Passphrase(SECRET)).signer(key.fingerprint, VM),
        lambda: store.get(key.fingerprint),
        store.list,
    ):
        with pytest.raises(KeyStoreError) as excinfo:
            attempt()
        assert _error(excinfo).reason == "unsafe-permissions"
        assert f"chmod 600 {key.path}" in str(excinfo.value)
        assert f"{mode:04o}" in str(excinfo.value)


def test_unknown_fingerprint(store: KeyStore) -> None:
    store.generate()
    absent = load_key_pair(FIXTURES / "keys" / "TEST-other-ed25519.keypair.json").public_key.multibase
    for attempt in (lambda: store.get(absent), lambda: store.signer(absent, VM)):
        with pytest.raises(KeyStoreError) as excinfo:
            attempt()
        assert _error(excinfo).reason == "unknown-key"
        assert absent in str(excinfo.value)


@pytest.mark.parametrize(
    "fingerprint",
    ["", "../../etc/passwd", "z6Mk/../../x", "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", "u7QE"],
)
def test_invalid_fingerprints_are_refused_before_touching_the_disk(store: KeyStore, fingerprint: str) -> None:
    with pytest.raises(KeyStoreError) as excinfo:
        store.get(fingerprint)
    assert _error(excinfo).reason == "invalid-fingerprint"


def test_a_secret_key_pasted_as_fingerprint_is_not_echoed(store: KeyStore) -> None:
    pair = load_key_pair(FIXTURES / "keys" / "TEST-other-ed25519.keypair.json")
    secret = encode_ed25519_secret_multibase(pair.private_key)
    with pytest.raises(KeyStoreError) as excinfo:
        store.signer(secret, VM)
    assert secret not in str(excinfo.value)
    assert secret not in repr(excinfo.value)
    assert secret not in repr(excinfo.value.message)


def test_unknown_version(store: KeyStore) -> None:
    key = store.generate()
    _rewrite(key.path, lambda d: d.update(version=2))
    with pytest.raises(KeyStoreError) as excinfo:
        store.get(key.fingerprint)
    assert _error(excinfo).reason == "unsupported-version"
    assert "format version 2" in str(excinfo.value)
    assert "reads version 1" in str(excinfo.value)


def test_malformed_json(store: KeyStore) -> None:
    key = store.generate()
    key.path.write_text('{"version": 1, "type": ', "utf-8")
    with pytest.raises(KeyStoreError) as excinfo:
        store.get(key.fingerprint)
    assert _error(excinfo).reason == "malformed-file"
    assert "not valid JSON" in str(excinfo.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("ciphertext"), "ciphertext"),
        (lambda d: d.update(ciphertext="not base64!"), "ciphertext"),
        (lambda d: d.update(ciphertext=_b64(b"short")), "ciphertext"),
        (lambda d: d["cipher"].update(nonce=_b64(b"\x00" * 8)), "cipher.nonce"),
        (lambda d: d["cipher"].update(name="AES-128-CBC"), "cipher"),
        (lambda d: d["kdf"].update(name="pbkdf2"), "kdf"),
        (lambda d: d["kdf"].update(n=2**30), "kdf"),
        (lambda d: d["kdf"].update(n=1000), "kdf"),
        (lambda d: d["kdf"].update(r=1), "kdf"),
        (lambda d: d["kdf"].update(n=True), "kdf"),
        (lambda d: d.update(created="yesterday"), "created"),
        (lambda d: d.update(created="2025-01-01T00:00:00"), "created"),
        (lambda d: d.update(publicKeyMultibase=17), "publicKeyMultibase"),
        (lambda d: d.update(extra="field"), "extra"),
    ],
)
def test_damaged_structure_is_reported_without_decrypting(
    store: KeyStore, directory: Path, change: Any, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = store.generate()
    _rewrite(key.path, change)

    def no_scrypt(*_: object) -> bytes:
        raise AssertionError("scrypt must not run on a malformed file")

    monkeypatch.setattr(keystore_module, "_derive_key", no_scrypt)
    with pytest.raises(KeyStoreError) as excinfo:
        KeyStore(directory, Passphrase(SECRET)).signer(key.fingerprint, VM)
    assert _error(excinfo).reason == "malformed-file"
    assert f"{field} is missing or invalid" in str(excinfo.value)


@pytest.mark.parametrize("document", [[], {"type": "Multikey"}, {"version": 1, "type": "other"}])
def test_other_json_is_not_a_key_file(store: KeyStore, document: Any) -> None:
    key = store.generate()
    key.path.write_text(json.dumps(document), "utf-8")
    with pytest.raises(KeyStoreError) as excinfo:
        store.get(key.fingerprint)
    assert _error(excinfo).reason == "malformed-file"


# --- Writing ---------------------------------------------------------------------------------


def test_writing_leaves_no_temporary_files(store: KeyStore, directory: Path) -> None:
    keys = [store.generate() for _ in range(3)]
    assert sorted(p.name for p in directory.iterdir()) == sorted(k.path.name for k in keys)


def test_a_crash_before_the_file_is_published_leaves_nothing(
    store: KeyStore, directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.generate()
    before = sorted(directory.iterdir())

    def crash(*_: object) -> None:
        raise OSError(28, "No space left on device")

    # The written temporary file becomes the key file by a hard link (never replacing one).
    monkeypatch.setattr(os, "link", crash)
    with pytest.raises(KeyStoreError) as excinfo:
        store.generate()
    assert _error(excinfo).reason == "io-error"
    assert "No space left on device" in str(excinfo.value)
    assert sorted(directory.iterdir()) == before


def test_an_existing_key_file_is_never_overwritten(store: KeyStore) -> None:
    private_key = Ed25519PrivateKey.generate()
    key = store.import_key(private_key)
    original = key.path.read_bytes()
    with pytest.raises(KeyStoreError) as excinfo:
        store.import_key(private_key)
    assert _error(excinfo).reason == "key-exists"
    assert key.path.read_bytes() == original
    assert [p.name for p in key.path.parent.iterdir()] == [key.path.name]


# --- Passphrase sources ----------------------------------------------------------------------


def test_passphrase_from_the_environment_value() -> None:
    assert read_passphrase(value=SECRET, file=None).bytes() == SECRET.encode("utf-8")


def test_no_passphrase_source() -> None:
    for value in (None, ""):
        with pytest.raises(KeyStoreError) as excinfo:
            read_passphrase(value=value, file=None)
        assert _error(excinfo).reason == "no-passphrase"
        assert "set MICROCRED_KEY_PASSPHRASE or MICROCRED_KEY_PASSPHRASE_FILE" in str(excinfo.value)


def test_both_passphrase_sources_are_refused(tmp_path: Path) -> None:
    file = tmp_path / "passphrase"
    file.write_text(SECRET)
    with pytest.raises(KeyStoreError) as excinfo:
        read_passphrase(value=SECRET, file=file)
    assert _error(excinfo).reason == "passphrase-conflict"
    assert "set only one" in str(excinfo.value)


@pytest.mark.parametrize("value", ["", "short", "elevenchars"])
def test_short_passphrases_are_refused(value: str, tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError) as excinfo:
        Passphrase(value)
    assert _error(excinfo).reason == "passphrase-invalid"
    assert "at least 12 characters" in str(excinfo.value)
    file = tmp_path / "passphrase"
    file.write_text(value + "\n")
    with pytest.raises(KeyStoreError, match="at least 12 characters"):
        read_passphrase(value=None, file=file)


def test_twelve_characters_are_enough_and_counted_as_characters() -> None:
    assert Passphrase("twelve chars").bytes() == b"twelve chars"
    assert len(Passphrase("微型专业证书签发密钥口令").bytes()) == 36  # 12 characters, 36 bytes


def test_overlong_passphrases_are_refused() -> None:
    with pytest.raises(KeyStoreError, match="too long"):
        Passphrase("x" * 1025)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\n\n"])
def test_passphrase_file_trailing_newline_is_stripped(tmp_path: Path, ending: str) -> None:
    file = tmp_path / "passphrase"
    file.write_bytes((SECRET + ending).encode("utf-8"))
    from_file = read_passphrase(value=None, file=file)
    assert from_file.bytes() == read_passphrase(value=SECRET, file=None).bytes()


def test_passphrase_file_keeps_inner_and_leading_spaces(tmp_path: Path) -> None:
    file = tmp_path / "passphrase"
    file.write_text("  spaced out passphrase \n")
    assert read_passphrase(value=None, file=file).bytes() == b"  spaced out passphrase "


def test_unreadable_passphrase_files(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError) as excinfo:
        read_passphrase(value=None, file=tmp_path / "missing")
    assert _error(excinfo).reason == "passphrase-file"
    assert str(tmp_path / "missing") in str(excinfo.value)
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe" * 10)
    with pytest.raises(KeyStoreError, match="not UTF-8"):
        read_passphrase(value=None, file=binary)


# --- Nothing secret in repr / str ------------------------------------------------------------


def _secret_forms(private_key: Ed25519PrivateKey, passphrase: str) -> list[str]:
    seed = private_key.private_bytes_raw()
    return [
        passphrase,
        passphrase.encode("utf-8").hex(),
        repr(passphrase.encode("utf-8")),
        seed.hex(),
        repr(seed),
        _b64(seed),
        base64.b64encode(seed).decode("ascii"),
        encode_ed25519_secret_multibase(private_key),
    ]


def test_no_repr_or_str_shows_a_secret(
    store: KeyStore, directory: Path, passphrase: Passphrase, tmp_path: Path
) -> None:
    private_key = Ed25519PrivateKey.generate()
    key = store.import_key(private_key)
    signer = store.signer(key.fingerprint, VM)

    errors: list[KeyStoreError] = []

    def collect(action: Any) -> None:
        with pytest.raises(KeyStoreError) as excinfo:
            action()
        errors.append(excinfo.value)

    collect(lambda: KeyStore(directory, Passphrase(OTHER_SECRET)).signer(key.fingerprint, VM))
    collect(lambda: KeyStore(directory, None).signer(key.fingerprint, VM))
    collect(lambda: store.import_key(private_key))
    collect(lambda: read_passphrase(value=SECRET, file=tmp_path))
    collect(lambda: Passphrase(SECRET[:5]))
    collect(lambda: store.signer(encode_ed25519_secret_multibase(private_key), VM))
    key.path.chmod(0o644)
    collect(lambda: KeyStore(directory, passphrase).signer(key.fingerprint, VM))

    objects: list[object] = [passphrase, store, key, key.public_key, signer, *errors]
    objects += [error.message for error in errors]
    shown = [text for obj in objects for text in (repr(obj), str(obj))]
    shown += [error.message.render("zh") for error in errors]
    shown += [repr(error.args) for error in errors]
    for secret in [*_secret_forms(private_key, SECRET), SECRET[:5], OTHER_SECRET]:
        for text in shown:
            assert secret not in text, text
    assert repr(passphrase) == str(passphrase) == "Passphrase(<hidden>)"


def test_a_passphrase_cannot_be_pickled(passphrase: Passphrase) -> None:
    with pytest.raises(TypeError):
        pickle.dumps(passphrase)


# --- The committed TEST fixture --------------------------------------------------------------


def test_the_test_fixture_decrypts_with_its_test_passphrase(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    shutil.copytree(TEST_STORE, directory)
    for path in directory.iterdir():
        path.chmod(0o600)  # git does not keep the mode
    document = json.loads((directory / f"{TEST_KEY_FINGERPRINT}{FILE_SUFFIX}").read_text("utf-8"))
    assert "TEST KEY" in document["comment"]
    assert document["kdf"]["n"] == 2**15  # the production cost

    passphrase = read_passphrase(value=None, file=TEST_PASSPHRASE_FILE)
    assert TEST_PASSPHRASE_FILE.read_text("utf-8").endswith("\n")
    assert TEST_PASSPHRASE_FILE.read_text("utf-8").startswith("TEST")
    keys = KeyStore(directory, passphrase)
    [stored] = keys.list()
    assert stored.fingerprint == TEST_KEY_FINGERPRINT
    assert stored.created.isoformat() == "2025-01-01T00:00:00+00:00"

    pair = load_key_pair(FIXTURES / "keys" / "TEST-w3c-ed25519.keypair.json")
    signer = keys.signer(TEST_KEY_FINGERPRINT, pair.did_key_method)
    assert signer.public_key == pair.public_key
    assert signer.sign(b"fixture") == pair.signer().sign(b"fixture")  # Ed25519 is deterministic


def test_the_test_fixture_is_refused_with_a_loose_mode(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    shutil.copytree(TEST_STORE, directory)
    for path in directory.iterdir():
        path.chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        KeyStore(directory, None).list()


# --- Messages --------------------------------------------------------------------------------


def test_every_keystore_message_has_a_chinese_translation() -> None:
    import ast

    source = Path(keystore_module.__file__).read_text("utf-8")
    templates = {
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "t"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }
    assert len(templates) > 15
    for template in templates:
        assert template in ZH, template
        assert placeholders(ZH[template]) == placeholders(template), template


def test_errors_render_in_chinese(store: KeyStore) -> None:
    key = store.generate()
    key.path.chmod(0o640)
    with pytest.raises(KeyStoreError) as excinfo:
        store.get(key.fingerprint)
    assert excinfo.value.message.render("zh") == (
        f"密钥文件 {key.path} 可被其他用户访问（权限 0640），已拒绝加载。请执行：chmod 600 {key.path}"
    )


def test_stored_key_is_a_frozen_value(store: KeyStore) -> None:
    key = store.generate()
    assert isinstance(key, StoredKey)
    assert key.did_key == f"did:key:{key.fingerprint}"
    with pytest.raises(AttributeError):
        key.fingerprint = "z6Mkother"  # type: ignore[misc]
    assert os.fspath(key.path).endswith(FILE_SUFFIX)
