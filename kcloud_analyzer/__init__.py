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
import warnings

# oslo.service, oslo.cache and futurist import eventlet whenever it is
# installed, and eventlet then warns at every start that it is deprecated.
# kcloud-analyzer runs none of their eventlet code (oslo.service's threading
# backend, the "threading" executor), so the warning tells operators
# nothing they can act on.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
