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

import numpy as np
import pandas as pd

from kcloud_analyzer.api import analysis
from kcloud_analyzer import service
from kcloud_analyzer.workload_analyzer.classifiers import random_forest
from kcloud_analyzer.workload_analyzer import features
from kcloud_analyzer.workload_analyzer import synthetic


def test_a_model_trained_meanwhile_is_used_at_once(tmp_path):
    # Regression: /analyze kept answering with the rules for ten minutes
    # after the agent had trained the forest /workloads already used.
    conf = service.prepare_service([], default_config_files=[])
    conf.set_override('models_dir', str(tmp_path))
    api = analysis.Analysis(conf, card=None)
    assert api.classifier().name == 'rules'
    rng = np.random.default_rng(0)
    frames, labels = [], []
    for label in synthetic.CLASSES:
        series, workloads = synthetic.generate(10, label, rng, prefix=label)
        frames.append(features.analyze(series, workloads)[2])
        labels += [label] * 10
    bundle = random_forest.fit(pd.concat(frames), labels, n_estimators=5)
    random_forest.save(bundle, tmp_path / random_forest.model_file_name(1))
    assert api.classifier().name == 'random_forest'
