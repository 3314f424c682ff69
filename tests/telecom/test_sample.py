"""The telecom sample generator writes a deterministic landing folder with the real feed's quirks."""

from warehouse.domains.telecom.contract import HEADER
from warehouse.domains.telecom.sample import write_landing
from warehouse.domains.telecom.source import landed_files


def test_telecom_generator_writes_a_landing_folder(tmp_path):
    files = write_landing(
        tmp_path, intervals=3, files_per_interval=2, rows_per_file=50, late_files=1, crlf_share=0.5, bad_row_share=0.1
    )
    delivered = landed_files(tmp_path)
    assert len(delivered) == 7  # 3 intervals x 2 parts, and one late part
    assert files[-1] == files[0]  # a re-delivery of the first file, written again after the others
    assert files[0].stat().st_mtime_ns >= files[-2].stat().st_mtime_ns
    contents = [path.read_bytes() for path in delivered]
    assert any(b"\r\n" in content for content in contents) and any(b"\r\n" not in content for content in contents)
    assert all(content.decode().splitlines()[0] == HEADER for content in contents)
    assert all(len(content.decode().splitlines()) == 51 for content in contents)
    again = write_landing(
        tmp_path / "again",
        intervals=3,
        files_per_interval=2,
        rows_per_file=50,
        late_files=1,
        crlf_share=0.5,
        bad_row_share=0.1,
    )
    assert [path.read_bytes() for path in landed_files(tmp_path / "again")] == contents
    assert len(again) == len(files)
