#!/bin/bash
# DevStack plugin entry point for kcloud-analyzer.
#
#   [[local|localrc]]
#   enable_plugin ceilometer https://opendev.org/openstack/ceilometer
#   enable_plugin kcloud-analyzer https://opendev.org/openstack/kcloud-analyzer
#
# See devstack/README.rst for the settings.

source $KCLOUD_ANALYZER_DIR/devstack/lib/kcloud-analyzer
KCLOUD_ANALYZER_BIN_DIR=$(get_python_exec_prefix)

if is_service_enabled kcloud-analyzer-api kcloud-analyzer-agent; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing kcloud-analyzer"
        install_kcloud_analyzer
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring kcloud-analyzer"
        configure_kcloud_analyzer
        if is_service_enabled keystone; then
            create_kcloud_analyzer_accounts
        fi
        if is_service_enabled horizon; then
            configure_kcloud_analyzer_dashboard
        fi
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        echo_summary "Initialising and starting kcloud-analyzer"
        init_kcloud_analyzer
        start_kcloud_analyzer
    fi

    if [[ "$1" == "unstack" ]]; then
        echo_summary "Stopping kcloud-analyzer"
        stop_kcloud_analyzer
    fi

    if [[ "$1" == "clean" ]]; then
        echo_summary "Cleaning kcloud-analyzer"
        cleanup_kcloud_analyzer
    fi
fi
