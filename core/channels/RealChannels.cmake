# The real channels (WeChat Pay API v3, Alipay open API), their profiles and secret storage.
target_sources(paydesk_core PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/ChannelHttp.h ${CMAKE_CURRENT_LIST_DIR}/ChannelHttp.cpp
    ${CMAKE_CURRENT_LIST_DIR}/WeChatPayProtocol.h ${CMAKE_CURRENT_LIST_DIR}/WeChatPayProtocol.cpp
    ${CMAKE_CURRENT_LIST_DIR}/WeChatPayChannel.h ${CMAKE_CURRENT_LIST_DIR}/WeChatPayChannel.cpp
    ${CMAKE_CURRENT_LIST_DIR}/AlipayProtocol.h ${CMAKE_CURRENT_LIST_DIR}/AlipayProtocol.cpp
    ${CMAKE_CURRENT_LIST_DIR}/AlipayChannel.h ${CMAKE_CURRENT_LIST_DIR}/AlipayChannel.cpp
    ${CMAKE_CURRENT_LIST_DIR}/ChannelProfile.h ${CMAKE_CURRENT_LIST_DIR}/ChannelProfile.cpp
    ${CMAKE_CURRENT_LIST_DIR}/ChannelProfileStore.h ${CMAKE_CURRENT_LIST_DIR}/ChannelProfileStore.cpp
    ${CMAKE_CURRENT_LIST_DIR}/SecretStore.h ${CMAKE_CURRENT_LIST_DIR}/SecretStore.cpp
    ${CMAKE_CURRENT_LIST_DIR}/AuditingChannel.h ${CMAKE_CURRENT_LIST_DIR}/AuditingChannel.cpp
)
# The OS keychain (QtKeychain), private like OpenSSL.
target_link_libraries(paydesk_core PRIVATE qt6keychain)
