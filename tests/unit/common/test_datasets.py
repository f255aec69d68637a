# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
import pytest

from kcloud_analyzer.common import datasets


def test_environment_variable_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    assert datasets.data_dir() == tmp_path


def test_missing_folder_names_what_was_tried(tmp_path, monkeypatch):
    missing = tmp_path / 'nowhere'
    monkeypatch.setenv(datasets.ENV_VAR, str(missing))
    with pytest.raises(datasets.DataDirNotFound) as info:
        datasets.data_dir()
    assert str(missing) in str(info.value)
    assert datasets.ENV_VAR in str(info.value)


def test_found_without_configuration(monkeypatch):
    monkeypatch.delenv(datasets.ENV_VAR, raising=False)
    assert (datasets.data_dir() / 'README.md').is_file()
