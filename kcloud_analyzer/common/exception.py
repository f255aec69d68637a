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
"""Exceptions. Each carries the HTTP status and the fixed error code string
the API reports in its API-SIG error body."""


class KcloudAnalyzerException(Exception):
    """Base exception: ``msg_fmt`` is formatted with the keyword arguments."""

    msg_fmt = 'An unknown error occurred.'
    code = 500
    error_code = 'kcloud-analyzer.internal_error'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.msg_fmt % kwargs
        super().__init__(message)

    @property
    def message(self):
        return str(self)


class ConfigInvalid(KcloudAnalyzerException):
    msg_fmt = 'Invalid configuration: %(reason)s'
    error_code = 'kcloud-analyzer.config_invalid'


class Invalid(KcloudAnalyzerException):
    msg_fmt = 'Invalid input: %(reason)s'
    code = 400
    error_code = 'kcloud-analyzer.invalid'


class NotFound(KcloudAnalyzerException):
    msg_fmt = 'Resource could not be found.'
    code = 404
    error_code = 'kcloud-analyzer.not_found'


class WorkloadNotFound(NotFound):
    msg_fmt = 'Workload %(workload_id)s could not be found.'
    error_code = 'kcloud-analyzer.workload_not_found'


class InstanceNotFound(NotFound):
    msg_fmt = 'Instance %(instance_id)s could not be found.'
    error_code = 'kcloud-analyzer.instance_not_found'


class Conflict(KcloudAnalyzerException):
    msg_fmt = 'Conflict: %(reason)s'
    code = 409
    error_code = 'kcloud-analyzer.conflict'


class WorkloadExists(Conflict):
    msg_fmt = 'Workload %(workload_id)s already exists.'
    error_code = 'kcloud-analyzer.workload_exists'


class MessagesAlreadyRecorded(Conflict):
    """Some of the messages of a write were already stored (a redelivery,
    or another agent given the same message): nothing was written, and a
    retry leaves the recorded messages out."""
    msg_fmt = ('%(recorded)d of %(total)d messages are already recorded'
               '%(by)s.')
    error_code = 'kcloud-analyzer.messages_already_recorded'


class ModelVersionExists(Conflict):
    msg_fmt = 'Version %(version)s of the model %(name)s already exists.'
    error_code = 'kcloud-analyzer.model_version_exists'
